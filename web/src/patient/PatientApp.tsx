/** The patient's section (lazy chunk). */
import { lazy, type ReactNode } from 'react'
import { Navigate, Outlet, Route, Routes } from 'react-router'
import { Shell, type NavItem } from '../components/Shell'
import { Dashboard } from './Dashboard'
import { LockerProvider, useLocker } from './locker'
import { LockerSwitcher } from './LockerSwitcher'

const ProfilePage = lazy(() => import('./ProfilePage'))
const RecordsPage = lazy(() => import('./RecordsPage'))
const SharesPage = lazy(() => import('./SharesPage'))
const ShlPage = lazy(() => import('./ShlPage'))
const EmergencyPage = lazy(() => import('./EmergencyPage'))
const VitalsPage = lazy(() => import('./VitalsPage'))
const LabsPage = lazy(() => import('./LabsPage'))
const VisitsPage = lazy(() => import('./VisitsPage'))
const ConsultationsPage = lazy(() => import('./ConsultationsPage'))
const AppointmentsPage = lazy(() => import('./AppointmentsPage'))
const PrescriptionsPage = lazy(() => import('./PrescriptionsPage'))
const ImportPage = lazy(() => import('./ImportPage'))
const AccessLogPage = lazy(() => import('./AccessLogPage'))
const ChangePasswordPage = lazy(() => import('../shared/ChangePasswordPage'))
const SecurityPage = lazy(() => import('../security/SecurityPage'))
const YourDataPage = lazy(() => import('./YourDataPage'))
const CaregiversPage = lazy(() => import('./CaregiversPage'))

const NAV: NavItem[] = [
  { to: '/patient', label: 'Overview', end: true },
  { to: '/patient/profile', label: 'Medical profile' },
  { to: '/patient/records', label: 'Records' },
  { to: '/patient/shares', label: 'Shared links' },
  { to: '/patient/shl', label: 'SMART Health Links' },
  { to: '/patient/vitals', label: 'Vitals' },
  { to: '/patient/labs', label: 'Lab results' },
  { to: '/patient/consultations', label: 'Doctors' },
  { to: '/patient/appointments', label: 'Appointments' },
  { to: '/patient/visits', label: 'Visits' },
  { to: '/patient/prescriptions', label: 'Prescriptions' },
  { to: '/patient/emergency', label: 'Emergency card' },
  { to: '/patient/import', label: 'Import' },
  { to: '/patient/access-log', label: 'Access log' },
  { to: '/patient/caregivers', label: 'Caregivers' },
  { to: '/patient/your-data', label: 'Your data' },
]

/**
 * Pages a caregiver never reaches on someone else's locker (SPEC §3, §10): the audit log,
 * emergency card, caregivers, account and data export/deletion; and the pages that are about
 * one's own account whatever the locker (doctors and consultations, SMART Health Links).
 */
const OWN_ONLY = new Set(['/patient/access-log', '/patient/emergency', '/patient/caregivers', '/patient/your-data', '/patient/consultations', '/patient/shl'])

/** Pages of changes only: hidden from a `read` caregiver. */
const MANAGE_ONLY = new Set(['/patient/import', '/patient/shares'])

/** The patient's layout: the nav of the locker shown, and the locker switcher above every page. */
function PatientLayout() {
  const { isOwn, canManage } = useLocker()
  const nav = NAV.filter((item) => isOwn || (!OWN_ONLY.has(item.to) && (canManage || !MANAGE_ONLY.has(item.to))))
  return (
    <Shell nav={nav}>
      <LockerSwitcher />
      <Outlet />
    </Shell>
  )
}

/** A page only for one's own locker: on another's, back to the overview. */
function OwnOnly({ children }: { children: ReactNode }) {
  const { isOwn } = useLocker()
  return isOwn ? <>{children}</> : <Navigate to="/patient" replace />
}

export default function PatientApp() {
  return (
    <LockerProvider>
      <Routes>
        <Route element={<PatientLayout />}>
          <Route index element={<Dashboard />} />
          <Route path="profile" element={<ProfilePage />} />
          <Route path="records" element={<RecordsPage />} />
          <Route path="shares" element={<SharesPage />} />
          <Route path="shl" element={<OwnOnly><ShlPage /></OwnOnly>} />
          <Route path="vitals" element={<VitalsPage />} />
          <Route path="labs" element={<LabsPage />} />
          <Route path="consultations" element={<OwnOnly><ConsultationsPage /></OwnOnly>} />
          <Route path="appointments" element={<AppointmentsPage />} />
          <Route path="visits" element={<VisitsPage />} />
          <Route path="prescriptions" element={<PrescriptionsPage />} />
          <Route path="emergency" element={<OwnOnly><EmergencyPage /></OwnOnly>} />
          <Route path="import" element={<ImportPage />} />
          <Route path="access-log" element={<OwnOnly><AccessLogPage /></OwnOnly>} />
          <Route path="password" element={<ChangePasswordPage />} />
          <Route path="security" element={<SecurityPage />} />
          <Route path="caregivers" element={<OwnOnly><CaregiversPage /></OwnOnly>} />
          <Route path="your-data" element={<OwnOnly><YourDataPage /></OwnOnly>} />
          <Route path="*" element={<Navigate to="/patient" replace />} />
        </Route>
      </Routes>
    </LockerProvider>
  )
}
