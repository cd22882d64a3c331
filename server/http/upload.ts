/**
 * POST /api/recognize: many images in one multipart request. Each file is read on the worker
 * pool and answered on its own: a non-image gets 415 with a clear message while the other files
 * are still read. What one request may cost is bounded: its size, the time its body may take,
 * uploads read at once (in all and per address), and files of one request in the pool at once.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import busboy from 'busboy';
import type { ServerConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { RecognitionError, RecognitionErrorCode } from '../recognition/errors.js';
import type { RecognitionPool } from '../recognition/pool.js';
import { sendJson } from './respond.js';

export const UploadErrorCode = {
  NotMultipart: 'not-multipart',
  NoFiles: 'no-files',
  FileTooLarge: 'file-too-large',
  TooManyFiles: 'too-many-files',
  BadRequest: 'bad-request',
  RequestTooLarge: 'request-too-large',
  UploadTimeout: 'upload-timeout',
  /** This address already has UPLOADS_PER_ADDRESS_MAX uploads being read: 429. */
  TooManyUploads: 'too-many-uploads',
} as const;

/**
 * Files of one request handed to the pool at once: a request of 20 photos then takes its turn
 * with other people's uploads and camera frames instead of filling the queue ahead of them.
 */
const FILES_IN_FLIGHT = 2;

/** Upload requests being read, in all and per client address. */
export class UploadAdmission {
  private total = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(private readonly limits: Pick<ServerConfig, 'uploadsMax' | 'uploadsPerAddressMax'>) {}

  /** Takes a place for an upload from `address`, or says why there is none. */
  enter(address: string): 'ok' | 'busy' | 'address-busy' {
    const fromAddress = this.byAddress.get(address) ?? 0;
    if (fromAddress >= this.limits.uploadsPerAddressMax) return 'address-busy';
    if (this.total >= this.limits.uploadsMax) return 'busy';
    this.total++;
    this.byAddress.set(address, fromAddress + 1);
    return 'ok';
  }

  leave(address: string): void {
    this.total--;
    const left = (this.byAddress.get(address) ?? 1) - 1;
    if (left > 0) this.byAddress.set(address, left);
    else this.byAddress.delete(address);
  }
}

/** Runs tasks with at most `limit` of them unfinished at once, in the order given. */
function limited(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/** The HTTP status that matches each error code of a file. */
const STATUS: Record<string, number> = {
  [RecognitionErrorCode.UnsupportedImage]: 415,
  [RecognitionErrorCode.CorruptImage]: 422,
  [RecognitionErrorCode.ImageTooLarge]: 413,
  [RecognitionErrorCode.Busy]: 503,
  [RecognitionErrorCode.Internal]: 500,
  [UploadErrorCode.FileTooLarge]: 413,
};

export interface FileResult {
  file: string;
  status: number;
  text?: string;
  digits?: unknown[];
  width?: number;
  height?: number;
  ms?: number;
  error?: { code: string; message: string };
}

function failure(file: string, code: string, message: string): FileResult {
  return { file, status: STATUS[code] ?? 400, error: { code, message } };
}

function counted(metrics: Metrics, result: FileResult): FileResult {
  if (result.error) metrics.errors.inc({ code: result.error.code });
  return result;
}

/**
 * Answers an upload that will not be read. A body the client is still sending is read and thrown
 * away (up to the request limit, within the upload timeout) so that the client gets to read the
 * answer: a server that closes on an unread body makes most clients report a broken connection
 * instead of the reason. A larger body is not read: the connection closes after the answer.
 */
export function refuseUpload(
  request: IncomingMessage,
  response: ServerResponse,
  config: ServerConfig,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  const declared = Number(request.headers['content-length'] ?? Number.NaN);
  if (request.complete || (Number.isFinite(declared) && declared <= config.uploadMaxRequestBytes)) {
    const slow = setTimeout(() => request.destroy(), config.uploadTimeoutMs);
    request
      .on('end', () => clearTimeout(slow))
      .on('close', () => clearTimeout(slow))
      .resume();
  } else {
    response.setHeader('connection', 'close');
  }
  sendJson(response, status, { error: { code, message } });
}

export function handleUpload(
  request: IncomingMessage,
  response: ServerResponse,
  pool: RecognitionPool,
  config: ServerConfig,
  logger: Logger,
  metrics: Metrics,
  admission: UploadAdmission,
): void {
  const contentType = request.headers['content-type'] ?? '';
  if (!/^multipart\/form-data/i.test(contentType)) {
    refuseUpload(request, response, config, 415, UploadErrorCode.NotMultipart, 'send the images as multipart/form-data (one or more file fields)');
    return;
  }
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > config.uploadMaxRequestBytes) {
    refuseUpload(
      request,
      response,
      config,
      413,
      UploadErrorCode.RequestTooLarge,
      `the request is ${declared} bytes; at most ${config.uploadMaxRequestBytes} are read: send fewer or smaller images`,
    );
    return;
  }
  const address = request.socket.remoteAddress ?? 'unknown';
  const place = admission.enter(address);
  if (place !== 'ok') {
    metrics.errors.inc({ code: place === 'busy' ? RecognitionErrorCode.Busy : UploadErrorCode.TooManyUploads });
    if (place === 'busy')
      refuseUpload(request, response, config, 503, RecognitionErrorCode.Busy, `${config.uploadsMax} uploads are being read; try again shortly`, {
        'retry-after': '1',
      });
    else
      refuseUpload(
        request,
        response,
        config,
        429,
        UploadErrorCode.TooManyUploads,
        `${config.uploadsPerAddressMax} uploads from this address are being read; wait for their answers before sending more`,
        { 'retry-after': '1' },
      );
    return;
  }
  // Armed now, so that every way out below clears it; what it does is defined further down.
  const timeout = setTimeout(
    () => abandon(408, UploadErrorCode.UploadTimeout, `the upload did not arrive within ${config.uploadTimeoutMs / 1000} s`),
    config.uploadTimeoutMs,
  );
  let left = false;
  const leave = () => {
    if (left) return;
    left = true;
    clearTimeout(timeout);
    admission.leave(address);
  };
  response.on('close', leave);

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: request.headers,
      limits: { files: config.uploadMaxFiles, fileSize: config.uploadMaxFileBytes, fields: 32, fieldSize: 4096, parts: config.uploadMaxFiles + 32 },
    });
  } catch (error) {
    refuseUpload(request, response, config, 400, UploadErrorCode.BadRequest, `malformed multipart request: ${(error as Error).message}`);
    return;
  }
  const results: Promise<FileResult>[] = [];
  const inPool = limited(FILES_IN_FLIGHT);
  let tooManyFiles = false;
  let answered = false;
  const answer = (status: number, body: unknown) => {
    if (answered) return;
    answered = true;
    sendJson(response, status, body);
  };
  /** Stops reading the body and answers now; the connection closes after the answer. */
  const abandon = (status: number, code: string, message: string) => {
    if (answered) return;
    answered = true;
    request.unpipe(parser);
    metrics.errors.inc({ code });
    logger.log('warn', 'upload-refused', { code, address });
    // Too large or too slow: the rest of this body is not worth reading.
    response.setHeader('connection', 'close');
    sendJson(response, status, { error: { code, message } });
  };
  let received = 0;
  request.on('data', (chunk: Buffer) => {
    received += chunk.byteLength;
    if (received > config.uploadMaxRequestBytes) {
      abandon(413, UploadErrorCode.RequestTooLarge, `the request is over ${config.uploadMaxRequestBytes} bytes: send fewer or smaller images`);
    }
  });

  parser.on('file', (field, stream, info) => {
    const name = info.filename || field;
    const chunks: Buffer[] = [];
    let truncated = false;
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('limit', () => {
      truncated = true;
      chunks.length = 0;
    });
    results.push(
      new Promise<FileResult>((resolve) => {
        stream.on('error', (error: Error) => resolve(failure(name, UploadErrorCode.BadRequest, error.message)));
        stream.on('close', () => {
          if (truncated) {
            resolve(failure(name, UploadErrorCode.FileTooLarge, `larger than the ${config.uploadMaxFileBytes} bytes allowed per file`));
            return;
          }
          const bytes = new Uint8Array(Buffer.concat(chunks));
          chunks.length = 0;
          const stopTimer = metrics.recognitionSeconds.startTimer({ mode: 'upload' });
          inPool(() => pool.recognizeImage(bytes, 'upload'))
            .then(({ result, ms }) => {
              stopTimer();
              metrics.predictions.inc({ mode: 'upload' });
              resolve({
                file: name,
                status: 200,
                text: result.text,
                digits: result.digits,
                width: result.width,
                height: result.height,
                ms: Math.round(ms * 10) / 10,
              });
            })
            .catch((error: unknown) => {
              const code = error instanceof RecognitionError ? error.code : RecognitionErrorCode.Internal;
              resolve(failure(name, code, (error as Error).message));
            });
        });
      }),
    );
  });
  parser.on('filesLimit', () => {
    tooManyFiles = true;
  });
  parser.on('error', (error: Error) => abandon(400, UploadErrorCode.BadRequest, `malformed multipart request: ${error.message}`));
  parser.on('close', () => {
    clearTimeout(timeout);
    void Promise.all(results).then((files) => {
      files.forEach((file) => counted(metrics, file));
      if (files.length === 0) {
        answer(400, { error: { code: UploadErrorCode.NoFiles, message: 'no file in the request: send images as multipart file fields' } });
        return;
      }
      // One status for the request: success if any file was read, else the first file's failure.
      const status = files.some((f) => f.status === 200) ? 200 : files[0].status;
      const warning = tooManyFiles ? { code: UploadErrorCode.TooManyFiles, message: `only the first ${config.uploadMaxFiles} files were read` } : undefined;
      logger.log('info', 'upload', { files: files.length, read: files.filter((f) => f.status === 200).length, status });
      answer(status, { results: files, ...(warning ? { warning } : {}) });
    });
  });
  request.pipe(parser);
}
