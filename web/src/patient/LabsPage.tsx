import { Page } from '../components/Page'
import { LabsView } from '../shared/LabsView'
import { useLocker } from './locker'

export default function LabsPage() {
  const { pid } = useLocker()
  return (
    <Page title="Lab results">
      <LabsView pid={pid} />
    </Page>
  )
}
