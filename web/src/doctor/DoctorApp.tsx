/** The doctor's section (lazy chunk). Pending accounts see the verification notice and the password page. */
import { lazy } from 'react'
import { Navigate, Route, Routes } from 'react-router'
import { useUser } from '../auth'
import { PendingRoutes } from '../components/PendingAccount'
import { Shell, type NavItem } from '../components/Shell'
import { DoctorHome } from './DoctorHome'

const PatientView = lazy(() => import('./PatientView'))
const IssuedPrescriptions = lazy(() => import('./IssuedPrescriptions'))
const CalendarPage = lazy(() => import('./CalendarPage'))
const AvailabilityPage = lazy(() => import('./AvailabilityPage'))
const ChangePasswordPage = lazy(() => import('../shared/ChangePasswordPage'))
const SecurityPage = lazy(() => import('../security/SecurityPage'))

const NAV: NavItem[] = [
  { to: '/doctor', label: 'Requests and patients', end: true },
  { to: '/doctor/calendar', label: 'Calendar' },
  { to: '/doctor/availability', label: 'Availability' },
  { to: '/doctor/prescriptions', label: 'Issued prescriptions' },
]

export default function DoctorApp() {
  const user = useUser()
  if (user.status !== 'active') return <PendingRoutes />
  return (
    <Routes>
      <Route element={<Shell nav={NAV} />}>
        <Route index element={<DoctorHome />} />
        <Route path="patients/:pid" element={<PatientView />} />
        <Route path="calendar" element={<CalendarPage />} />
        <Route path="availability" element={<AvailabilityPage />} />
        <Route path="prescriptions" element={<IssuedPrescriptions />} />
        <Route path="password" element={<ChangePasswordPage />} />
        <Route path="security" element={<SecurityPage />} />
        <Route path="*" element={<Navigate to="/doctor" replace />} />
      </Route>
    </Routes>
  )
}
