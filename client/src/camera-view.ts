import { css, html, LitElement, type PropertyValues, type ReactiveController, type ReactiveControllerHost } from 'lit';
import type { PredictionMessage } from '../../shared/protocol.js';

/** Frames are scaled down to this width before sending: plenty for digits, light on the network. */
const FRAME_WIDTH = 640;
/** A frame with no answer for this long is given up, and the next one sent. */
const ANSWER_TIMEOUT_MS = 2000;
/** After a frame dropped for the server's rate, the next waits this long: slower, never stalled. */
const RATE_LIMITED_PAUSE_MS = 250;

export interface CameraFrameDetail {
  frame: number;
  image: Uint8Array;
}

/** What went wrong opening the camera, in words a person can act on. */
function cameraProblem(error: Error): string {
  switch (error.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return "The camera was not allowed. Allow it in the browser's site settings (the icon beside the address), then try again.";
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found on this device. Connect one, or use Draw or Upload instead.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The camera is in use by another app, or could not start. Close the other app, then try again.';
    default:
      return `The camera could not be started (${error.message || error.name}).`;
  }
}

/** The camera stream: acquired in hostConnected, every track stopped in hostDisconnected. */
class CameraController implements ReactiveController {
  stream: MediaStream | null = null;
  devices: MediaDeviceInfo[] = [];
  error: string | null = null;
  deviceId: string | undefined;
  facing: 'environment' | 'user' = 'environment';

  constructor(private readonly host: ReactiveControllerHost & { attach(stream: MediaStream): void; stateChanged(): void }) {
    host.addController(this);
  }

  hostConnected(): void {
    void this.open();
  }

  hostDisconnected(): void {
    this.close();
  }

  close(): void {
    this.stream?.getTracks().forEach((track) => track.stop());
    this.stream = null;
  }

  async open(): Promise<void> {
    this.close();
    this.error = null;
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        video: this.deviceId ? { deviceId: { exact: this.deviceId } } : { facingMode: this.facing, width: { ideal: 1280 } },
        audio: false,
      });
      this.devices = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
      this.error = null;
      this.host.attach(this.stream);
    } catch (error) {
      this.error = cameraProblem(error as Error);
    }
    this.host.requestUpdate();
    this.host.stateChanged();
  }
}

/**
 * A webcam view that sends frames at the pace the server answers (the next frame only after the
 * previous one was read, never a queue) and draws the reading's boxes over the video.
 *
 * @fires camera-frame - detail {frame, image}: a JPEG of the current view to read
 * @fires camera-state - the camera started or failed; `available` says whether one is showing
 */
export class CameraView extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    .stage {
      position: relative;
      background: #222;
      border-radius: 8px;
      overflow: hidden;
    }
    video,
    canvas.overlay {
      display: block;
      width: 100%;
      height: auto;
    }
    canvas.overlay {
      position: absolute;
      inset: 0;
      height: 100%;
      pointer-events: none;
    }
    .controls {
      display: flex;
      gap: 8px;
      flex-wrap: wrap;
      margin-top: 8px;
    }
    select,
    button {
      font: inherit;
      padding: 6px 10px;
      border-radius: 6px;
      border: 1px solid #c9c3b5;
      background: #fff;
      max-width: 100%;
    }
    .problem {
      background: #fde2e1;
      color: #8e1b1b;
      border-radius: 8px;
      padding: 12px 16px;
    }
    .problem p {
      margin: 0 0 8px;
    }
    /* Where to hold the number: the middle of the view, where digits come out largest and sharpest. */
    .guide {
      position: absolute;
      inset: 25% 10%;
      border: 2px dashed rgb(255 255 255 / 70%);
      border-radius: 8px;
      pointer-events: none;
      display: flex;
      align-items: flex-end;
      justify-content: center;
    }
    .guide span {
      color: #fff;
      background: rgb(0 0 0 / 45%);
      font-size: 0.8rem;
      padding: 2px 8px;
      border-radius: 4px;
      margin-bottom: 4px;
    }
  `;

  static override properties = { prediction: { attribute: false }, refused: { attribute: false }, frozen: { type: Boolean } };
  declare prediction: PredictionMessage | null;
  /** The last frame the server refused: the next one goes without waiting for an answer that will not come. */
  declare refused: { frame: number; code: string } | null;
  declare frozen: boolean;

  private readonly camera = new CameraController(this);
  private frame = 0;
  private waitingFor = 0;
  private timeout: ReturnType<typeof setTimeout> | undefined;
  /** Pictures the camera has shown (requestVideoFrameCallback), and that count when the last frame was sent. */
  private presented: number | undefined;
  private lastSent: number | undefined;
  private captureOnNextPicture = false;
  private readonly grabber = document.createElement('canvas');

  constructor() {
    super();
    this.prediction = null;
    this.refused = null;
    this.frozen = false;
  }

  stateChanged(): void {
    this.dispatchEvent(new CustomEvent('camera-state', { detail: { available: this.available }, bubbles: true, composed: true }));
  }

  attach(stream: MediaStream): void {
    void this.updateComplete.then(() => {
      const video = this.renderRoot.querySelector('video')!;
      video.srcObject = stream;
      video.onloadeddata = () => this.capture();
      if ('requestVideoFrameCallback' in video) {
        const picture = (_now: number, metadata: { presentedFrames: number }) => {
          this.presented = metadata.presentedFrames;
          if (this.captureOnNextPicture) this.capture();
          if (video.srcObject === stream) video.requestVideoFrameCallback(picture);
        };
        video.requestVideoFrameCallback(picture);
      }
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.timeout);
  }

  override updated(changed: PropertyValues): void {
    if (changed.has('prediction')) {
      this.paintBoxes();
      // The server read our frame: time for the next.
      if (this.prediction?.frame !== undefined && this.prediction.frame >= this.waitingFor) this.capture();
    }
    if (changed.has('refused') && this.refused && this.refused.frame >= this.waitingFor) {
      clearTimeout(this.timeout);
      this.timeout = setTimeout(() => this.capture(), this.refused.code === 'rate-limited' ? RATE_LIMITED_PAUSE_MS : 0);
    }
    if (changed.has('frozen') && !this.frozen) this.capture();
  }

  private capture(): void {
    clearTimeout(this.timeout);
    const video = this.renderRoot.querySelector('video');
    if (this.frozen || !video || video.readyState < 2 || !video.videoWidth) return;
    // Paced by the camera: a picture the camera has not replaced yet would be sent twice, so the
    // capture waits for its next one (where the browser says when pictures come).
    if (this.presented !== undefined && this.presented === this.lastSent) {
      this.captureOnNextPicture = true;
      return;
    }
    this.captureOnNextPicture = false;
    this.lastSent = this.presented;
    const scale = Math.min(1, FRAME_WIDTH / video.videoWidth);
    this.grabber.width = Math.round(video.videoWidth * scale);
    this.grabber.height = Math.round(video.videoHeight * scale);
    this.grabber.getContext('2d')!.drawImage(video, 0, 0, this.grabber.width, this.grabber.height);
    this.grabber.toBlob(
      async (blob) => {
        if (!blob) return;
        const frame = ++this.frame;
        this.waitingFor = frame;
        this.dispatchEvent(
          new CustomEvent<CameraFrameDetail>('camera-frame', {
            detail: { frame, image: new Uint8Array(await blob.arrayBuffer()) },
            bubbles: true,
            composed: true,
          }),
        );
        this.timeout = setTimeout(() => this.capture(), ANSWER_TIMEOUT_MS);
      },
      'image/jpeg',
      0.8,
    );
  }

  private paintBoxes(): void {
    const overlay = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.overlay');
    if (!overlay) return;
    overlay.width = this.grabber.width || 1;
    overlay.height = this.grabber.height || 1;
    const context = overlay.getContext('2d')!;
    context.clearRect(0, 0, overlay.width, overlay.height);
    for (const line of this.prediction?.lines ?? []) {
      for (const digit of line.digits) {
        const [x, y, w, h] = digit.box;
        context.strokeStyle = digit.uncertain ? '#ff5252' : digit.confidence < 0.95 ? '#ffb300' : '#69f0ae';
        context.lineWidth = 2;
        context.strokeRect(x, y, w, h);
        context.fillStyle = context.strokeStyle;
        context.font = '600 16px system-ui, sans-serif';
        context.fillText(String(digit.digit), x, Math.max(16, y - 4));
      }
    }
  }

  private switchCamera = (deviceId: string) => {
    this.camera.deviceId = deviceId || undefined;
    void this.camera.open();
  };

  private flip = () => {
    this.camera.deviceId = undefined;
    this.camera.facing = this.camera.facing === 'environment' ? 'user' : 'environment';
    void this.camera.open();
  };

  /** Whether a camera is showing: the page offers Freeze and Keep only then. */
  get available(): boolean {
    return this.camera.stream !== null;
  }

  override render() {
    if (this.camera.error) {
      return html`<div class="problem" role="alert">
        <p>${this.camera.error}</p>
        <button @click=${() => void this.camera.open()}>Try again</button>
      </div>`;
    }
    return html`
      <div class="stage">
        <video autoplay muted playsinline aria-label="Camera view"></video>
        <canvas class="overlay" aria-hidden="true"></canvas>
        <div class="guide" aria-hidden="true"><span>Fill this box with the number</span></div>
      </div>
      <div class="controls">
        ${
          this.camera.devices.length > 1
            ? html`<select aria-label="Camera" @change=${(e: Event) => this.switchCamera((e.target as HTMLSelectElement).value)}>
                ${this.camera.devices.map((d, i) => html`<option value=${d.deviceId}>${d.label || `Camera ${i + 1}`}</option>`)}
              </select>`
            : ''
        }
        <button @click=${this.flip}>Front / back</button>
      </div>
    `;
  }
}

customElements.define('camera-view', CameraView);

declare global {
  interface HTMLElementTagNameMap {
    'camera-view': CameraView;
  }
  interface HTMLElementEventMap {
    'camera-frame': CustomEvent<CameraFrameDetail>;
  }
}
