/** The patient's section (lazy chunk). */
import { lazy } from 'react'
import { Navigate, Route, Routes } from 'react-router'
import { Shell, type NavItem } from '../components/Shell'
import { Dashboard } from './Dashboard'
import { LockerProvider } from './locker'

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
  { to: '/patient/your-data', label: 'Your data' },
]

export default function PatientApp() {
  return (
    <LockerProvider>
      <Routes>
        <Route element={<Shell nav={NAV} />}>
          <Route index element={<Dashboard />} />
          <Route path="profile" element={<ProfilePage />} />
          <Route path="records" element={<RecordsPage />} />
          <Route path="shares" element={<SharesPage />} />
          <Route path="shl" element={<ShlPage />} />
          <Route path="vitals" element={<VitalsPage />} />
          <Route path="labs" element={<LabsPage />} />
          <Route path="consultations" element={<ConsultationsPage />} />
          <Route path="appointments" element={<AppointmentsPage />} />
          <Route path="visits" element={<VisitsPage />} />
          <Route path="prescriptions" element={<PrescriptionsPage />} />
          <Route path="emergency" element={<EmergencyPage />} />
          <Route path="import" element={<ImportPage />} />
          <Route path="access-log" element={<AccessLogPage />} />
          <Route path="password" element={<ChangePasswordPage />} />
          <Route path="security" element={<SecurityPage />} />
          <Route path="your-data" element={<YourDataPage />} />
          <Route path="*" element={<Navigate to="/patient" replace />} />
        </Route>
      </Routes>
    </LockerProvider>
  )
}
