/** The pharmacist's section (lazy chunk). Pending accounts see the verification notice and the password page. */
import { lazy } from 'react'
import { Navigate, Route, Routes } from 'react-router'
import { useUser } from '../auth'
import { PendingRoutes } from '../components/PendingAccount'
import { Shell, type NavItem } from '../components/Shell'
import { CounterPage } from './CounterPage'

const HistoryPage = lazy(() => import('./HistoryPage'))
const ChangePasswordPage = lazy(() => import('../shared/ChangePasswordPage'))
const SecurityPage = lazy(() => import('../security/SecurityPage'))

const NAV: NavItem[] = [
  { to: '/pharmacist', label: 'Counter', end: true },
  { to: '/pharmacist/history', label: 'History' },
]

export default function PharmacistApp() {
  const user = useUser()
  if (user.status !== 'active') return <PendingRoutes />
  return (
    <Routes>
      <Route element={<Shell nav={NAV} />}>
        <Route index element={<CounterPage />} />
        <Route path="history" element={<HistoryPage />} />
        <Route path="password" element={<ChangePasswordPage />} />
        <Route path="security" element={<SecurityPage />} />
        <Route path="*" element={<Navigate to="/pharmacist" replace />} />
      </Route>
    </Routes>
  )
}
