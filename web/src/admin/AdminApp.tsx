/** The administrator's section (lazy chunk): accounts, job queue, audit log integrity; a warning above them when PUBLIC_URL is localhost. */
import { lazy } from 'react'
import { Navigate, Outlet, Route, Routes } from 'react-router'
import { Shell, type NavItem } from '../components/Shell'
import { LocalhostBanner } from './LocalhostBanner'
import { SystemPage } from './SystemPage'
import { UsersPage } from './UsersPage'

const ChangePasswordPage = lazy(() => import('../shared/ChangePasswordPage'))
const SecurityPage = lazy(() => import('../security/SecurityPage'))
const OrganizationsPage = lazy(() => import('./OrganizationsPage'))

const NAV: NavItem[] = [
  { to: '/admin', label: 'Accounts', end: true },
  { to: '/admin/organizations', label: 'Organizations' },
  { to: '/admin/system', label: 'Jobs and audit' },
]

export default function AdminApp() {
  return (
    <Routes>
      <Route
        element={
          <Shell nav={NAV}>
            <LocalhostBanner />
            <Outlet />
          </Shell>
        }
      >
        <Route index element={<UsersPage />} />
        <Route path="system" element={<SystemPage />} />
        <Route path="organizations" element={<OrganizationsPage />} />
        <Route path="password" element={<ChangePasswordPage />} />
        <Route path="security" element={<SecurityPage />} />
        <Route path="*" element={<Navigate to="/admin" replace />} />
      </Route>
    </Routes>
  )
}
