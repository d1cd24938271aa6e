/** The New-run form's archive upload: checked before it is stored, stored once per content. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeUploadedArchive } from '../../../src/engine/keras/uploads';
import { ApiError } from '../../../src/shared/errors';
import { fixtureCases, skipReason } from './fixture-cases';

test(
  'an uploaded archive is stored by content and its path returned; garbage is refused and not stored',
  { skip: skipReason },
  async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'dtrain-upload-')), 'archives');
    try {
      const c = fixtureCases()[0]!;
      const b64 = Buffer.from(c.archiveBytes).toString('base64');
      const path = await storeUploadedArchive(dir, 'my model.keras', b64);
      assert.match(path, /archives\/my_model-[0-9a-f]{16}\.keras$/);
      assert.deepEqual(new Uint8Array(readFileSync(path)), c.archiveBytes);
      assert.equal(await storeUploadedArchive(dir, 'my model.keras', b64), path, 'the same bytes map to the same file');
      await assert.rejects(
        storeUploadedArchive(join(dir, 'x'), 'bad.keras', Buffer.from('not a zip').toString('base64')),
        (e: unknown) =>
          e instanceof ApiError && e.code === 'invalid-input' && /bad\.keras is not a \.keras archive/.test(e.message),
      );
      await assert.rejects(storeUploadedArchive(join(dir, 'x'), 'bad.keras', '%%%'), /the upload is not base64/);
      assert.equal(existsSync(join(dir, 'x')), false, 'nothing stored for a bad upload');
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  },
);
