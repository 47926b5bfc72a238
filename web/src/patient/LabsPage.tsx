import { Page } from '../components/Page'
import { LabsView } from '../shared/LabsView'

export default function LabsPage() {
  return (
    <Page title="Lab results">
      <LabsView pid="me" />
    </Page>
  )
}
