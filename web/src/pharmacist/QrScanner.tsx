/**
 * Reads a prescription QR code with @zxing/library's BrowserQRCodeReader: live from the
 * device camera (getUserMedia, back camera preferred), or from a photo/screenshot through
 * the same decoder when there is no camera. Loaded only on the pharmacist's counter.
 */
import { Alert, Button, FileButton, Group, Stack, Text } from '@mantine/core'
// Deep imports: the QR reader alone, not the whole barcode library (the package index pulls in every format).
import { BrowserQRCodeReader } from '@zxing/library/esm/browser/BrowserQRCodeReader'
import { HTMLCanvasElementLuminanceSource } from '@zxing/library/esm/browser/HTMLCanvasElementLuminanceSource'
import BinaryBitmap from '@zxing/library/esm/core/BinaryBitmap'
import HybridBinarizer from '@zxing/library/esm/core/common/HybridBinarizer'
import type Result from '@zxing/library/esm/core/Result'
import { useEffect, useRef, useState } from 'react'

/**
 * BrowserQRCodeReader that, when a frame or image yields nothing, tries again on smaller
 * copies of it. zxing-js's finder misses a share of large, clean codes at full resolution:
 * about one in four of our prescription codes (version 12, ~7 px per module in the 512 px
 * PNG); every one of 200 sampled codes decodes at one of these scales.
 */
class MultiScaleQRCodeReader extends BrowserQRCodeReader {
  private scaled: HTMLCanvasElement | undefined

  override decodeBitmap(bitmap: BinaryBitmap): Result {
    try {
      return super.decodeBitmap(bitmap)
    } catch (first) {
      const src = this.captureCanvas as HTMLCanvasElement | undefined
      if (!src) throw first
      for (const factor of [1.5, 2, 2.5, 3, 4]) {
        const w = Math.floor(src.width / factor)
        const h = Math.floor(src.height / factor)
        if (w < 80 || h < 80) break
        const canvas = (this.scaled ??= document.createElement('canvas'))
        canvas.width = w
        canvas.height = h
        const ctx = canvas.getContext('2d', { willReadFrequently: true })
        if (!ctx) break
        ctx.imageSmoothingEnabled = false
        ctx.drawImage(src, 0, 0, w, h)
        try {
          return this.reader.decode(new BinaryBitmap(new HybridBinarizer(new HTMLCanvasElementLuminanceSource(canvas))), this.hints)
        } catch {
          // not at this scale either
        }
      }
      throw first
    }
  }
}

function cameraError(err: unknown): string {
  const name = err instanceof DOMException || err instanceof Error ? err.name : ''
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'Camera access was refused. Allow the camera in the browser, or upload a photo of the code.'
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'No camera found. Upload a photo of the code instead.'
  if (name === 'NotReadableError') return 'The camera is in use by another application.'
  return 'The camera could not be started. Upload a photo of the code instead.'
}

export default function QrScanner({ onDecoded }: { onDecoded: (text: string) => void }) {
  const video = useRef<HTMLVideoElement>(null)
  const reader = useRef<MultiScaleQRCodeReader | null>(null)
  const [scanning, setScanning] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [status, setStatus] = useState<string | null>(null)

  const getReader = () => (reader.current ??= new MultiScaleQRCodeReader())

  const stop = () => {
    reader.current?.reset()
    setScanning(false)
  }

  useEffect(() => () => reader.current?.reset(), [])

  const start = async () => {
    setError(null)
    setStatus(null)
    if (!navigator.mediaDevices?.getUserMedia) {
      setError('This browser cannot use a camera here (a secure https page is needed). Upload a photo of the code instead.')
      return
    }
    const el = video.current
    if (!el) return
    setScanning(true)
    setStatus('Point the camera at the QR code…')
    try {
      await getReader().decodeFromConstraints({ video: { facingMode: 'environment' } }, el, (result) => {
        if (result) {
          stop()
          setStatus('Code read.')
          onDecoded(result.getText())
        }
      })
    } catch (err) {
      stop()
      setStatus(null)
      setError(cameraError(err))
    }
  }

  const fromImage = async (file: File | null) => {
    if (!file) return
    setError(null)
    setStatus('Reading the image…')
    const url = URL.createObjectURL(file)
    try {
      const result = await getReader().decodeFromImageUrl(url)
      setStatus('Code read.')
      onDecoded(result.getText())
    } catch {
      setStatus(null)
      setError('No QR code found in this image. Try a sharper, closer photo.')
    } finally {
      URL.revokeObjectURL(url)
    }
  }

  return (
    <Stack gap="sm">
      <video ref={video} className="scanner-video" muted playsInline hidden={!scanning} aria-label="Camera preview" data-testid="scanner-video" />
      <Group gap="xs">
        {scanning ? (
          <Button variant="default" onClick={stop}>
            Stop camera
          </Button>
        ) : (
          <Button onClick={() => void start()}>Scan with camera</Button>
        )}
        <FileButton onChange={(f) => void fromImage(f)} accept="image/*">
          {(props) => (
            <Button {...props} variant="light" data-testid="scan-image-button">
              Upload a photo of the code
            </Button>
          )}
        </FileButton>
      </Group>
      {status && (
        <Text size="sm" c="dimmed" role="status">
          {status}
        </Text>
      )}
      {error && (
        <Alert color="red" role="alert">
          {error}
        </Alert>
      )}
    </Stack>
  )
}
