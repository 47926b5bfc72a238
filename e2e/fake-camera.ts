/**
 * A Y4M video of a still image, for Chromium's fake camera
 * (`--use-fake-device-for-media-stream --use-file-for-fake-video-capture=<file>.y4m`):
 * the pharmacist's scanner then reads a real getUserMedia stream. Written with pngjs in
 * plain Node — no ffmpeg needed. Y4M is a text header and raw planar YUV 4:2:0 frames.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { PNG } from 'pngjs'

/** Centers `png` (scaled by a whole factor, nearest neighbour) on a white `width`×`height` frame. */
export async function pngToY4m(pngPath: string, outPath: string, width = 640, height = 480, frames = 5): Promise<void> {
  const png = PNG.sync.read(await readFile(pngPath))
  const scale = Math.max(1, Math.floor(Math.min((width * 0.8) / png.width, (height * 0.8) / png.height)))
  const w = png.width * scale
  const h = png.height * scale
  const x0 = Math.floor((width - w) / 2)
  const y0 = Math.floor((height - h) / 2)
  const y = Buffer.alloc(width * height, 255)
  for (let row = 0; row < h; row++) {
    for (let col = 0; col < w; col++) {
      const sx = Math.floor(col / scale)
      const sy = Math.floor(row / scale)
      const i = (sy * png.width + sx) * 4
      const a = (png.data[i + 3] ?? 255) / 255
      const lum = 0.299 * (png.data[i] ?? 255) + 0.587 * (png.data[i + 1] ?? 255) + 0.114 * (png.data[i + 2] ?? 255)
      y[(y0 + row) * width + x0 + col] = Math.round(lum * a + 255 * (1 - a))
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128) // U and V planes: no colour
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, chroma])
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`)
  await writeFile(outPath, Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]))
}
