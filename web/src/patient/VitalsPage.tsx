import { Page } from '../components/Page'
import { VitalsView } from '../shared/VitalsView'
import { useLocker } from './locker'

export default function VitalsPage() {
  const { pid, canManage } = useLocker()
  return (
    <Page title="Vitals">
      <VitalsView pid={pid} canAdd={canManage} />
    </Page>
  )
}
