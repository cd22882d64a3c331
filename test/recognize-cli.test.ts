import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadMnist } from '../training/mnist.js';
import { seededRandom } from '../training/random.js';
import { composeNumber, encodePng, SETS } from '../training/compose.js';

const run = promisify(execFile);

async function recognize(args: string[]): Promise<{ code: number; lines: Record<string, unknown>[] }> {
  try {
    const { stdout } = await run('npx', ['tsx', 'server/recognition/cli.ts', '--json', ...args]);
    return {
      code: 0,
      lines: stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return {
      code: failed.code,
      lines: failed.stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    };
  }
}

describe('npm run recognize', () => {
  it('prints one JSON object per input, an error object for a bad one, and exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'recognize-'));
    const image = await composeNumber(await loadMnist('test'), seededRandom(11), SETS.clean);
    const good = join(dir, 'number.png');
    const bad = join(dir, 'notes.png');
    await writeFile(good, await encodePng(image));
    await writeFile(bad, 'these are not pixels');
    const strokes = join(dir, 'strokes.json');
    await writeFile(
      strokes,
      JSON.stringify([
        {
          id: 'seventeen',
          width: 400,
          height: 200,
          strokes: [
            [
              [100, 40, 0],
              [102, 160, 80],
            ],
            [
              [160, 45, 400],
              [240, 42, 450],
              [200, 160, 520],
            ],
          ],
        },
        { id: 'broken', width: 400, height: 200, strokes: 'not strokes' },
      ]),
    );
    const { code, lines } = await recognize([good, bad, '--strokes', strokes]);
    expect(code).toBe(1);
    expect(lines).toHaveLength(4);
    const byName = Object.fromEntries(lines.map((l) => [String(l.file ?? l.id), l]));
    expect(byName[good]).toMatchObject({ file: good, text: expect.stringMatching(/^\d+$/), ms: expect.any(Number) });
    const digits = byName[good].digits as { digit: number; confidence: number; box: number[]; alternatives: unknown[] }[];
    expect(digits.length).toBe((byName[good].text as string).length);
    expect(digits[0]).toMatchObject({
      digit: expect.any(Number),
      confidence: expect.any(Number),
      box: [expect.any(Number), expect.any(Number), expect.any(Number), expect.any(Number)],
    });
    expect(byName[bad]).toEqual({ file: bad, error: { code: 'unsupported-image', message: expect.any(String) } });
    expect(byName.seventeen).toMatchObject({ id: 'seventeen', text: '17' });
    expect(byName.broken).toMatchObject({ id: 'broken', error: { code: 'invalid-strokes' } });
  });

  it('says which model folder it cannot load and exits 2, before reading anything', async () => {
    const missing = join(await mkdtemp(join(tmpdir(), 'recognize-')), 'no-model-here');
    const failed = await run('npx', ['tsx', 'server/recognition/cli.ts', '--model', missing, 'any.png']).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stdout).toBe('');
    expect(failed?.stderr).toContain(`cannot load the model in ${missing}`);
  });
});
