/** The patient's visit history (SPEC §10), of the locker shown (`useLocker`: their own, or one they care for). */
import { Page } from '../components/Page'
import { EncountersView } from '../shared/EncountersView'
import { useLocker } from './locker'

export default function VisitsPage() {
  const { pid } = useLocker()
  return (
    <Page title="Visits">
      <EncountersView pid={pid} />
    </Page>
  )
}
