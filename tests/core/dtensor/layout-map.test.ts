import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Layout, LayoutMap, Mesh, UNSHARDED } from '../../../src/core/dtensor';

const mesh = new Mesh({
  dims: [
    ['batch', 2],
    ['model', 2],
  ],
});
const layout2d = new Layout([UNSHARDED, 'model'], mesh);
const layout1d = new Layout(['model'], mesh);
const layout4d = new Layout(['batch', UNSHARDED, UNSHARDED, 'model'], mesh);

function kerasDocMap(): LayoutMap {
  return new LayoutMap(mesh)
    .set('.*dense.*kernel', layout2d)
    .set('.*dense.*bias', layout1d)
    .set('.*conv2d.*kernel', layout4d)
    .set('.*conv2d.*bias', layout1d);
}

describe('LayoutMap', () => {
  it('looks up like the Keras docstring example', () => {
    const map = kerasDocMap();
    assert.equal(map.get('dense_1.kernel'), layout2d);
    assert.equal(map.get('dense_1.bias'), layout1d);
    assert.equal(map.get('dense_2.kernel'), layout2d);
    assert.equal(map.get('my_model/conv2d_123/kernel'), layout4d);
    assert.equal(map.get('my_model/conv2d_123/bias'), layout1d);
    assert.equal(map.get('embedding.embeddings'), undefined);
  });

  it('prefers an exact key, then the first regex in insertion order', () => {
    const a = new Layout(['batch'], mesh);
    const map = new LayoutMap(mesh).set('d.*', layout1d).set('d1.bias', a).set('d1.*', layout1d);
    assert.equal(map.get('d1.bias'), a, 'exact key wins over an earlier regex');
    assert.equal(map.get('d1.kernel'), layout1d);
    const ordered = new LayoutMap(mesh).set('d1.*', a).set('d.*', layout1d);
    assert.equal(ordered.get('d1.kernel'), a);
    assert.equal(ordered.get('d2.kernel'), layout1d);
  });

  it('anchors regex keys at the start of the path only (re.match, not fullmatch)', () => {
    const map = new LayoutMap(mesh).set('dense', layout1d).set('a|b', layout2d);
    assert.equal(map.get('dense_1.kernel'), layout1d, 'a prefix match is enough');
    assert.equal(map.get('model.dense'), undefined, 'no match in the middle of the path');
    assert.equal(map.get('b.kernel'), layout2d, 'alternation is anchored as a whole');
    assert.equal(map.get('xb'), undefined);
    // Matching twice in a row must not depend on regex lastIndex state.
    assert.equal(map.get('dense_2.bias'), layout1d);
    assert.equal(map.get('dense_2.bias'), layout1d);
  });

  it('falls back to a replicated layout of the variable rank', () => {
    const map = kerasDocMap();
    assert.equal(map.layoutFor('dense_1.kernel', 2), layout2d);
    const fallback = map.layoutFor('embedding.embeddings', 3);
    assert.ok(fallback.equals(Layout.replicated(mesh, 3)));
    assert.ok(map.layoutFor('scalar', 0).equals(Layout.replicated(mesh, 0)));
    assert.throws(
      () => map.layoutFor('dense_1.bias', 2),
      /The layout for "dense_1.bias" \(LayoutMap key ".\*dense.\*bias"\) has rank 1, but the variable has rank 2/,
    );
  });

  it('refuses duplicate keys and non-layouts with Keras messages', () => {
    const map = new LayoutMap(mesh).set('d1.kernel', layout2d);
    assert.throws(
      () => map.set('d1.kernel', layout1d),
      (e: Error) =>
        e.name === 'ValueError' &&
        e.message ===
          "d1.kernel already exist in the LayoutMap with value Layout(sharding_specs=['unsharded', 'model'], " +
            'mesh=batch=2,model=2). Please make sure to not use duplicated keys.',
    );
    assert.throws(() => map.set('x', ['batch'] as unknown as Layout), /\["batch"\] should be a Layout type, got Array/);
    assert.throws(() => map.set('y', layout1d.toJSON() as unknown as Layout), /should be a Layout type, got Object/);
    assert.throws(() => map.set('bad[', layout1d), /LayoutMap key "bad\[" is not a valid regular expression/);
  });

  it('behaves as an ordered map', () => {
    const map = kerasDocMap();
    assert.equal(map.size, 4);
    assert.deepEqual(map.keys(), ['.*dense.*kernel', '.*dense.*bias', '.*conv2d.*kernel', '.*conv2d.*bias']);
    assert.equal(map.entries()[2][1], layout4d);
    assert.equal(map.has('.*dense.*bias'), true);
    assert.equal(map.delete('.*dense.*bias'), true);
    assert.equal(map.delete('.*dense.*bias'), false);
    assert.equal(map.get('dense_1.bias'), undefined);
    map.set('.*dense.*bias', layout1d); // a deleted key may be added again, now last
    assert.equal(map.keys().at(-1), '.*dense.*bias');
  });

  it('round-trips through JSON with its mesh', () => {
    const map = kerasDocMap();
    const back = LayoutMap.fromJSON(JSON.parse(JSON.stringify(map)));
    assert.ok(back.mesh.equals(mesh));
    assert.deepEqual(back.keys(), map.keys());
    back.entries().forEach(([, layout], i) => {
      assert.ok(layout.equals(map.entries()[i][1]));
      assert.equal(layout.mesh, back.mesh, 'layouts share the map mesh');
    });
    assert.throws(() => LayoutMap.fromJSON({ mesh: mesh.toJSON() }), /Invalid LayoutMap JSON/);
    assert.throws(() => LayoutMap.fromJSON({ mesh: mesh.toJSON(), entries: [['k']] }), /expected \[key, layout\]/);
  });
});
