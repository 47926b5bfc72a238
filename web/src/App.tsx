/**
 * Routes. Each role's section is its own chunk (React.lazy), so the first screen (sign-in)
 * loads only the shell; chart.js and the QR decoder load with the pages that use them.
 */
import { lazy, Suspense, type ReactNode } from 'react'
import { Navigate, Route, Routes, useLocation } from 'react-router'
import type { Role } from './api/types'
import { HOME_OF, useAuth } from './auth'
import { Loading } from './components/states'
import { LoginPage } from './pages/LoginPage'
import { MfaSetupRedirect } from './security/MfaSetupRedirect'

const RegisterPage = lazy(() => import('./pages/RegisterPage'))
const ResetPasswordPage = lazy(() => import('./pages/ResetPasswordPage'))
const SetupPage = lazy(() => import('./pages/SetupPage'))
const VerifyEmailPage = lazy(() => import('./pages/VerifyEmailPage'))
const ShlViewerPage = lazy(() => import('./pages/ShlViewerPage'))
const AcceptInvitationPage = lazy(() => import('./pages/AcceptInvitationPage'))
const PatientApp = lazy(() => import('./patient/PatientApp'))
const DoctorApp = lazy(() => import('./doctor/DoctorApp'))
const PharmacistApp = lazy(() => import('./pharmacist/PharmacistApp'))
const AdminApp = lazy(() => import('./admin/AdminApp'))

function RequireRole({ role, children }: { role: Role; children: ReactNode }) {
  const { user, sessionEnded } = useAuth()
  const location = useLocation()
  if (user === undefined) return <Loading label="Signing you in…" />
  // Back to this page after signing in; `ended` makes the sign-in page say why it is shown.
  if (user === null) return <Navigate to="/login" replace state={{ from: location.pathname + location.search, ended: sessionEnded }} />
  if (user.role !== role) return <Navigate to={HOME_OF[user.role]} replace />
  return <>{children}</>
}

function Home() {
  const { user } = useAuth()
  if (user === undefined) return <Loading label="Signing you in…" />
  return <Navigate to={user ? HOME_OF[user.role] : '/login'} replace />
}

export function App() {
  return (
    <Suspense fallback={<Loading />}>
      <MfaSetupRedirect />
      <Routes>
        <Route path="/" element={<Home />} />
        <Route path="/login" element={<LoginPage />} />
        <Route path="/register" element={<RegisterPage />} />
        <Route path="/reset-password" element={<ResetPasswordPage />} />
        <Route path="/setup" element={<SetupPage />} />
        <Route path="/verify-email" element={<VerifyEmailPage />} />
        <Route path="/shl" element={<ShlViewerPage />} />
        <Route path="/caregiver-invitations/:token" element={<AcceptInvitationPage />} />
        <Route path="/patient/*" element={<RequireRole role="patient"><PatientApp /></RequireRole>} />
        <Route path="/doctor/*" element={<RequireRole role="doctor"><DoctorApp /></RequireRole>} />
        <Route path="/pharmacist/*" element={<RequireRole role="pharmacist"><PharmacistApp /></RequireRole>} />
        <Route path="/admin/*" element={<RequireRole role="admin"><AdminApp /></RequireRole>} />
        <Route path="*" element={<Navigate to="/" replace />} />
      </Routes>
    </Suspense>
  )
}
