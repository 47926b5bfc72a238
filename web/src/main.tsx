import '@mantine/core/styles.css'
import './app.css'
import { createTheme, MantineProvider } from '@mantine/core'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { BrowserRouter } from 'react-router'
import { ApiError } from './api/client'
import { App } from './App'
import { AuthProvider } from './auth'

const theme = createTheme({
  primaryColor: 'teal',
  // Teal 8/9 on white keeps text and buttons above WCAG AA contrast.
  primaryShade: 8,
  defaultRadius: 'md',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  // Icon-only buttons need a name for screen readers; the number spinners are mouse-only
  // (arrow keys still step) and too small to tap, so they are hidden. A number input never
  // rewrites what was typed (Mantine clamps to min/max on blur by default: a systolic 400
  // became 300): an out-of-range value stays visible and the server's 400 says why.
  components: {
    // Plain objects, not Modal.extend(…): importing the components here would pull them
    // into the first screen's bundle.
    Modal: { defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } },
    Select: { defaultProps: { clearButtonProps: { 'aria-label': 'Clear' } } },
    NumberInput: { defaultProps: { hideControls: true, clampBehavior: 'none' } },
  },
})

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // Other people change this data (a doctor approves, a pharmacist dispenses): show
      // cached data at once, but refetch whenever a page mounts or the window regains focus.
      staleTime: 0,
      // 4xx answers are final (not found, forbidden, invalid); retry only transient failures.
      retry: (count, err) => !(err instanceof ApiError && err.status < 500) && count < 2,
    },
    mutations: { retry: false },
  },
})

const root = document.getElementById('root')
if (!root) throw new Error('#root is missing from index.html')
createRoot(root).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="light">
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <AuthProvider>
            <App />
          </AuthProvider>
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
)
