import { Page } from '../components/Page'
import { VitalsView } from '../shared/VitalsView'

export default function VitalsPage() {
  return (
    <Page title="Vitals">
      <VitalsView pid="me" />
    </Page>
  )
}
