/**
 * Launches the machine's Chromium (Debian's `/usr/bin/chromium`, or `CHROMIUM_PATH`)
 * through playwright-core — never a downloaded browser. Flags keep it off the network:
 * this machine has none, and background networking makes Chromium retry many
 * connections at once.
 */
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { chromium, type Browser } from 'playwright-core'

export const SCREENSHOT_DIR = path.resolve('e2e/screenshots')

/** `extraArgs`: e.g. the fake-camera flags of the pharmacist's scanner test. */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  await mkdir(SCREENSHOT_DIR, { recursive: true })
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      ...extraArgs,
    ],
  })
}

/** Viewports of the screenshots: a small phone and a desktop. */
export const PHONE = { width: 360, height: 740 }
export const DESKTOP = { width: 1280, height: 800 }
/** A common 390 px phone (the width several stories check for sideways scrolling). */
export const PHONE_390 = { width: 390, height: 844 }
