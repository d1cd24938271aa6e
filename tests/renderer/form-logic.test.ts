/** The renderer's pure form helpers: client-side number checks, JSON layout, hash routes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IssueCollector } from '../../src/renderer/src/views/new-run/read';
import { formatJson } from '../../src/renderer/src/views/new-run/json-format';
import { MODEL_PRESETS } from '../../src/renderer/src/views/new-run/presets';
import { scheduleName } from '../../src/renderer/src/views/new-run/schedules';
import { parseRoute, routeHash, type Route } from '../../src/renderer/src/router';

test('IssueCollector reads numbers and explains what is wrong', () => {
  const c = new IssueCollector();
  assert.equal(c.number('steps', ' 12 ', { integer: true, min: 1 }), 12);
  assert.equal(c.number('steps', '1.5', { integer: true, min: 1 }), null);
  assert.equal(c.number('lr', '0', { min: 0, above: true }), null);
  assert.equal(c.number('clip', '', { optional: true }), null);
  assert.equal(c.number('rho', '', {}), null);
  assert.deepEqual(c.numberList('b', '1, 2,3'), [1, 2, 3]);
  assert.equal(c.numberList('v', '1, x'), null);
  assert.equal(c.jsonObject('model', '[1]'), null);
  assert.deepEqual(c.jsonObject('layouts', '', true), null);
  assert.deepEqual(c.issues, [
    { path: 'steps', message: 'Must be a whole number ≥ 1; got "1.5".' },
    { path: 'lr', message: 'Must be a number > 0; got "0".' },
    { path: 'rho', message: 'Required: enter a number.' },
    { path: 'v', message: 'Must be a comma-separated list of numbers; got "1, x".' },
    { path: 'model', message: 'Must be a JSON object ({ … }).' },
  ]);
});

test('formatJson keeps short structures on one line and round-trips', () => {
  for (const preset of MODEL_PRESETS) {
    const text = formatJson(preset.model);
    assert.deepEqual(JSON.parse(text), preset.model);
    assert.ok(text.split('\n').length < 16, `${preset.id} stays compact`);
  }
  assert.equal(formatJson({ a: [1, 2], b: 'x, y' }), '{ "a": [1, 2], "b": "x, y" }');
});

test('hash routes round-trip', () => {
  const routes: Route[] = [
    { view: 'new' },
    { view: 'new', fromRunId: 'r 1' },
    { view: 'runs' },
    { view: 'run', runId: 'a/b' },
    { view: 'compare', runIds: ['a', 'b'] },
  ];
  for (const route of routes) {
    assert.deepEqual(parseRoute(routeHash(route)), route);
  }
  assert.deepEqual(parseRoute(''), { view: 'new' });
  assert.deepEqual(parseRoute('#/whatever'), { view: 'new' });
});

test('schedule class names with a registered package resolve to the short name', () => {
  assert.equal(scheduleName('keras.optimizers.schedules>CosineDecay'), 'CosineDecay');
  assert.equal(scheduleName('ExponentialDecay'), 'ExponentialDecay');
});
