/**
 * A YUV4MPEG2 video of grey pictures (luma only, neutral chroma, 4:2:0): the format Chromium's fake
 * camera plays into getUserMedia (`--use-file-for-fake-video-capture`), in a loop.
 */
export function y4mVideo(pictures: Buffer[], width: number, height: number, fps: number): Buffer {
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`);
  return Buffer.concat([header, ...pictures.flatMap((luma) => [Buffer.from('FRAME\n'), luma, chroma])]);
}
