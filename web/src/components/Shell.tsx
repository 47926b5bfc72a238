/**
 * The signed-in layout: header (notification bell, user menu with "Change password", sign-out button), role
 * navigation (a drawer on phones), main landmark.
 */
import { AppShell, Badge, Burger, Button, Group, Menu, NavLink, ScrollArea, Text, Title } from '@mantine/core'
import { useDisclosure } from '@mantine/hooks'
import { Suspense, useEffect, type ReactNode } from 'react'
import { Link, Outlet, useLocation, useNavigate } from 'react-router'
import { HOME_OF, ROLE_LABEL, useAuth, useUser } from '../auth'
import { NotificationBell } from './NotificationBell'
import { Loading } from './states'
import { VerifyEmailBanner } from './VerifyEmailBanner'

export interface NavItem {
  to: string
  label: string
  /** Match only the exact path (section home pages). */
  end?: boolean
}

export function Shell({ nav, children }: { nav: NavItem[]; children?: ReactNode }) {
  const user = useUser()
  const { signOut } = useAuth()
  const navigate = useNavigate()
  const location = useLocation()
  const [opened, { toggle, close }] = useDisclosure(false)
  const leave = () => {
    void signOut().then(() => navigate('/login', { replace: true }))
  }

  // Close the phone drawer after navigating.
  useEffect(() => close(), [location.pathname, close])

  const isActive = (item: NavItem) =>
    item.end ? location.pathname === item.to || location.pathname === `${item.to}/` : location.pathname.startsWith(item.to)

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 230, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="xs" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={opened ? 'Close navigation' : 'Open navigation'} />
            <Title order={1} size="h4">
              <Link to="/" style={{ color: 'inherit', textDecoration: 'none' }}>
                CareLocker
              </Link>
            </Title>
            <Badge variant="light" visibleFrom="xs">
              {ROLE_LABEL[user.role]}
            </Badge>
          </Group>
          <Group gap="xs" wrap="nowrap">
            <NotificationBell />
            <Menu position="bottom-end" withinPortal>
              <Menu.Target>
                <Button variant="subtle" size="xs" data-testid="user-menu" rightSection={<span aria-hidden>▾</span>}>
                  <Text span size="sm" visibleFrom="sm" truncate maw={200}>
                    {user.name}
                  </Text>
                  <Text span size="sm" hiddenFrom="sm">
                    Account
                  </Text>
                </Button>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>Signed in as {user.email}</Menu.Label>
                <Menu.Item component={Link} to={`${HOME_OF[user.role]}/security`}>
                  Security
                </Menu.Item>
                <Menu.Item component={Link} to={`${HOME_OF[user.role]}/password`}>
                  Change password
                </Menu.Item>
                <Menu.Divider />
                <Menu.Item onClick={leave}>Sign out</Menu.Item>
              </Menu.Dropdown>
            </Menu>
            {/* On the narrowest phones the header has room for the menu only; it signs out too. */}
            <Button variant="default" size="xs" visibleFrom="xs" onClick={leave}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main navigation">
        <ScrollArea>
          <nav aria-label={`${ROLE_LABEL[user.role]} sections`}>
            {nav.map((item) => (
              <NavLink
                key={item.to}
                component={Link}
                to={item.to}
                label={item.label}
                active={isActive(item)}
                aria-current={isActive(item) ? 'page' : undefined}
              />
            ))}
          </nav>
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        <VerifyEmailBanner />
        <Suspense fallback={<Loading />}>{children ?? <Outlet />}</Suspense>
      </AppShell.Main>
    </AppShell>
  )
}
