import { css } from 'lit';

/** Text for screen readers only (a live region, a column's name): each element's shadow root needs the rule itself. */
export const visuallyHidden = css`
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
    margin: 0;
  }
`;
