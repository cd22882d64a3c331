import { visuallyHidden } from './visually-hidden.js';
import { css, html, LitElement } from 'lit';

export interface ReadingEntry {
  /** ISO time the number was kept. */
  time: string;
  source: 'draw' | 'camera' | 'upload';
  text: string;
  /** The least confident digit's confidence, 0..1. */
  confidence: number;
  /** For uploads: the file's name. */
  file?: string;
  /** The person picked another digit for at least one of them. */
  corrected?: boolean;
}

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function toCsv(entries: readonly ReadingEntry[]): string {
  const rows = entries.map((e) =>
    [e.time, e.source, e.text.replace(/\n/g, ' '), e.confidence.toFixed(4), e.corrected ? 'yes' : 'no', e.file ?? ''].map(csvField).join(','),
  );
  return ['time,source,number,confidence,corrected,file', ...rows].join('\n') + '\n';
}

/**
 * Every number kept, from any mode, with time and source; downloadable as CSV and JSON. The page
 * keeps the list across reloads until it is cleared.
 *
 * @fires reading-removed - a row's Remove was pressed; `detail.index` is its place in `entries`
 * @fires readings-cleared - Clear list was pressed
 */
export class ResultsList extends LitElement {
  static override styles = [
    visuallyHidden,
    css`
      :host {
        display: block;
        font-size: 0.9rem;
      }
      table {
        border-collapse: collapse;
        width: 100%;
      }
      th,
      td {
        text-align: left;
        padding: 4px 8px;
        border-bottom: 1px solid #e2dccd;
        overflow-wrap: anywhere;
      }
      td.number {
        font-variant-numeric: tabular-nums;
        font-size: 1.1rem;
      }
      .actions {
        display: flex;
        gap: 8px;
        flex-wrap: wrap;
        margin: 8px 0;
        align-items: center;
      }
      button {
        font: inherit;
        padding: 6px 12px;
        border-radius: 6px;
        border: 1px solid #c9c3b5;
        background: #fff;
        cursor: pointer;
      }
      h2 {
        font-size: 1rem;
        margin: 0;
      }
    `,
  ];

  static override properties = { entries: { attribute: false } };
  declare entries: readonly ReadingEntry[];

  constructor() {
    super();
    this.entries = [];
  }

  private download(kind: 'csv' | 'json'): void {
    const body = kind === 'csv' ? toCsv(this.entries) : `${JSON.stringify(this.entries, null, 2)}\n`;
    const url = URL.createObjectURL(new Blob([body], { type: kind === 'csv' ? 'text/csv' : 'application/json' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `digit-stream-readings.${kind}`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  override render() {
    if (this.entries.length === 0) return html``;
    return html` <div class="actions">
        <h2>Numbers read (${this.entries.length})</h2>
        <button @click=${() => this.download('csv')}>Download CSV</button>
        <button @click=${() => this.download('json')}>Download JSON</button>
        <button @click=${() => this.dispatchEvent(new CustomEvent('readings-cleared', { bubbles: true, composed: true }))}>Clear list</button>
      </div>
      <table>
        <thead>
          <tr>
            <th>Time</th>
            <th>From</th>
            <th>Number</th>
            <th>Least sure digit</th>
            <th><span class="visually-hidden">Remove</span></th>
          </tr>
        </thead>
        <tbody>
          ${this.entries.map(
            (e, index) =>
              html`<tr>
                <td>${new Date(e.time).toLocaleTimeString()}</td>
                <td>${e.source}${e.file ? ` (${e.file})` : ''}</td>
                <td class="number">${e.text}${e.corrected ? ' (corrected)' : ''}</td>
                <td>${Math.round(e.confidence * 100)} %</td>
                <td>
                  <button
                    aria-label=${`Remove ${e.text.replace(/\n/g, ' ')}`}
                    @click=${() => this.dispatchEvent(new CustomEvent('reading-removed', { detail: { index }, bubbles: true, composed: true }))}
                  >
                    Remove
                  </button>
                </td>
              </tr>`,
          )}
        </tbody>
      </table>`;
  }
}

customElements.define('results-list', ResultsList);

declare global {
  interface HTMLElementTagNameMap {
    'results-list': ResultsList;
  }
}
