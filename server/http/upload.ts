/**
 * POST /api/recognize: many images in one multipart request. Each file is read on the worker
 * pool and answered on its own: a non-image gets 415 with a clear message while the other files
 * are still read.
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
} as const;

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

export function handleUpload(request: IncomingMessage, response: ServerResponse, pool: RecognitionPool, config: ServerConfig, logger: Logger, metrics: Metrics): void {
  const contentType = request.headers['content-type'] ?? '';
  if (!/^multipart\/form-data/i.test(contentType)) {
    request.resume();
    sendJson(response, 415, { error: { code: UploadErrorCode.NotMultipart, message: 'send the images as multipart/form-data (one or more file fields)' } });
    return;
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: request.headers,
      limits: { files: config.uploadMaxFiles, fileSize: config.uploadMaxFileBytes, fields: 32, fieldSize: 4096, parts: config.uploadMaxFiles + 32 },
    });
  } catch (error) {
    request.resume();
    sendJson(response, 400, { error: { code: UploadErrorCode.BadRequest, message: `malformed multipart request: ${(error as Error).message}` } });
    return;
  }
  const results: Promise<FileResult>[] = [];
  let tooManyFiles = false;
  let answered = false;
  const answer = (status: number, body: unknown) => {
    if (answered) return;
    answered = true;
    sendJson(response, status, body);
  };

  parser.on('file', (field, stream, info) => {
    const name = info.filename || field;
    const chunks: Buffer[] = [];
    let truncated = false;
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('limit', () => {
      truncated = true;
      chunks.length = 0;
    });
    results.push(new Promise<FileResult>((resolve) => {
      stream.on('error', (error: Error) => resolve(failure(name, UploadErrorCode.BadRequest, error.message)));
      stream.on('close', () => {
        if (truncated) {
          resolve(failure(name, UploadErrorCode.FileTooLarge, `larger than the ${config.uploadMaxFileBytes} bytes allowed per file`));
          return;
        }
        const stopTimer = metrics.recognitionSeconds.startTimer({ mode: 'upload' });
        pool.recognizeImage(new Uint8Array(Buffer.concat(chunks)))
          .then(({ result, ms }) => {
            stopTimer();
            metrics.predictions.inc({ mode: 'upload' });
            resolve({ file: name, status: 200, text: result.text, digits: result.digits, width: result.width, height: result.height, ms: Math.round(ms * 10) / 10 });
          })
          .catch((error: unknown) => {
            const code = error instanceof RecognitionError ? error.code : RecognitionErrorCode.Internal;
            resolve(failure(name, code, (error as Error).message));
          });
      });
    }));
  });
  parser.on('filesLimit', () => {
    tooManyFiles = true;
  });
  parser.on('error', (error: Error) => {
    request.unpipe(parser);
    request.resume();
    answer(400, { error: { code: UploadErrorCode.BadRequest, message: `malformed multipart request: ${error.message}` } });
  });
  parser.on('close', () => {
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
