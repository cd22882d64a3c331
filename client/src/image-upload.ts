import { css, html, LitElement, svg } from 'lit';

export interface UploadResult {
  name: string;
  /** An object URL of the file, for the preview. */
  preview: string;
  state: 'reading' | 'done' | 'failed';
  text?: string;
  width?: number;
  height?: number;
  digits?: { digit: number; confidence: number; box: [number, number, number, number]; alternatives: { digit: number; p: number }[]; uncertain: boolean }[];
  error?: string;
  /** The person picked another digit for at least one of them. */
  corrected?: boolean;
}

export interface DigitCorrection {
  /** The upload's object URL: which file. */
  preview: string;
  /** Which digit, in reading order. */
  index: number;
  digit: number;
}

/**
 * Drop or pick images and see what was read in each: preview with boxes, the number, each digit's
 * confidence and alternatives, or a clear message for a file that is not a readable image.
 *
 * @fires files-chosen - detail: File[] (the shell uploads them and sets `results`)
 * @fires digit-corrected - detail: DigitCorrection, the person picked another digit for one read
 */
export class ImageUpload extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    .drop {
      border: 2px dashed #b9b2a2;
      border-radius: 8px;
      padding: 24px;
      text-align: center;
      background: #fffdf7;
    }
    .drop.over {
      border-color: #2962ff;
      background: #eef3ff;
    }
    label.pick {
      display: inline-block;
      margin-top: 8px;
      padding: 8px 14px;
      border: 1px solid #c9c3b5;
      border-radius: 6px;
      background: #fff;
      cursor: pointer;
    }
    label.pick:focus-within {
      outline: 3px solid #2962ff;
      outline-offset: 2px;
    }
    input[type='file'] {
      position: absolute;
      width: 1px;
      height: 1px;
      opacity: 0;
    }
    ul {
      list-style: none;
      padding: 0;
      margin: 16px 0 0;
      display: grid;
      gap: 16px;
      grid-template-columns: repeat(auto-fill, minmax(min(100%, 280px), 1fr));
    }
    li {
      background: #fff;
      border: 1px solid #e2dccd;
      border-radius: 8px;
      padding: 10px;
      min-width: 0;
    }
    .frame {
      position: relative;
    }
    .frame img,
    .frame svg {
      display: block;
      width: 100%;
      height: auto;
    }
    .frame svg {
      position: absolute;
      inset: 0;
      height: 100%;
    }
    .name {
      font-size: 0.8rem;
      color: #666;
      overflow-wrap: anywhere;
    }
    .text {
      font-size: 1.6rem;
      font-variant-numeric: tabular-nums;
      overflow-wrap: anywhere;
    }
    .failed {
      color: #8e1b1b;
    }
    .digits {
      font-size: 0.85rem;
      color: #444;
      border-collapse: collapse;
      margin-top: 4px;
    }
    .digits th,
    .digits td {
      text-align: left;
      padding: 2px 10px 2px 0;
      border-bottom: 1px solid #eee;
    }
    .digits th {
      font-weight: 600;
    }
    .digits tr.unsure td:first-child {
      color: #c62828;
    }
  `;

  static override properties = { results: { attribute: false }, over: { state: true } };

  declare results: UploadResult[];
  declare over: boolean;

  constructor() {
    super();
    this.results = [];
    this.over = false;
  }

  private correct(preview: string, index: number, digit: number): void {
    this.dispatchEvent(new CustomEvent<DigitCorrection>('digit-corrected', { detail: { preview, index, digit }, bubbles: true, composed: true }));
  }

  private choose(files: FileList | null | undefined): void {
    if (!files || files.length === 0) return;
    this.dispatchEvent(new CustomEvent<File[]>('files-chosen', { detail: [...files], bubbles: true, composed: true }));
  }

  override render() {
    return html`
      <div
        class="drop ${this.over ? 'over' : ''}"
        @dragover=${(e: DragEvent) => {
          e.preventDefault();
          this.over = true;
        }}
        @dragleave=${() => {
          this.over = false;
        }}
        @drop=${(e: DragEvent) => {
          e.preventDefault();
          this.over = false;
          this.choose(e.dataTransfer?.files);
        }}
      >
        <div>Drop images of handwritten numbers here</div>
        <label class="pick"
          >Choose images…
          <input type="file" accept="image/*" multiple @change=${(e: Event) => this.choose((e.target as HTMLInputElement).files)} />
        </label>
      </div>
      <ul aria-live="polite">
        ${this.results.map(
          (r) =>
            html`<li>
              <div class="name">${r.name}</div>
              ${
                r.state === 'failed'
                  ? html`<p class="failed" role="alert">${r.error}</p>`
                  : html` <div class="frame">
                        <img
                          src=${r.preview}
                          alt="Upload ${r.name}"
                          @error=${(e: Event) => {
                            // Not an image the browser can show (the server's answer will say why): no broken-image icon.
                            (e.target as HTMLImageElement).hidden = true;
                          }}
                        />
                        ${
                          r.width && r.digits
                            ? svg`<svg viewBox="0 0 ${r.width} ${r.height}" preserveAspectRatio="none" aria-hidden="true">
                ${r.digits.map(
                  (d) => svg`<rect x=${d.box[0]} y=${d.box[1]} width=${d.box[2]} height=${d.box[3]} fill="none"
                  stroke=${d.uncertain ? '#c62828' : d.confidence < 0.95 ? '#b26a00' : '#1b7f3b'} stroke-width=${Math.max(1, r.width! / 300)} />`,
                )}
              </svg>`
                            : ''
                        }
                      </div>
                      <div class="text">${r.state === 'reading' ? '…' : r.text || 'no digits found'}</div>
                      ${
                        r.digits?.length
                          ? html`<table class="digits">
                              <thead>
                                <tr>
                                  <th>Digit</th>
                                  <th>Sure</th>
                                  <th>Else</th>
                                </tr>
                              </thead>
                              <tbody>
                                ${r.digits.map(
                                  (d, index) =>
                                    html`<tr class=${d.uncertain ? 'unsure' : ''}>
                                      <td>
                                        <select
                                          aria-label="Digit ${index + 1} of ${r.name}"
                                          @change=${(e: Event) => this.correct(r.preview, index, Number((e.target as HTMLSelectElement).value))}
                                        >
                                          ${[
                                            ...d.alternatives.map((a) => a.digit),
                                            ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((n) => !d.alternatives.some((a) => a.digit === n)),
                                          ].map((n) => html`<option value=${n} ?selected=${n === d.digit}>${n}</option>`)}
                                        </select>
                                      </td>
                                      <td>${Math.round(d.confidence * 100)} %${d.uncertain ? ' (unsure)' : ''}</td>
                                      <td>
                                        ${d.alternatives
                                          .slice(1)
                                          .map((a) => `${a.digit}: ${Math.round(a.p * 100)} %`)
                                          .join(', ')}
                                      </td>
                                    </tr>`,
                                )}
                              </tbody>
                            </table>`
                          : ''
                      }`
              }
            </li>`,
        )}
      </ul>
    `;
  }
}

customElements.define('image-upload', ImageUpload);

declare global {
  interface HTMLElementTagNameMap {
    'image-upload': ImageUpload;
  }
  interface HTMLElementEventMap {
    'files-chosen': CustomEvent<File[]>;
    'digit-corrected': CustomEvent<DigitCorrection>;
  }
}
