/**
 * The small Iris MLP most CLI and service tests train: 4 features → `hidden` ReLU units → 3 classes,
 * on the bundled Iris data. Tests spread it into a run config and add what they test.
 */
export function irisMlp(hidden = 8, extra: { metrics?: string[] } = {}) {
  return {
    model: {
      type: 'mlp',
      input: [4],
      layers: [
        { type: 'dense', units: hidden, activation: 'relu' },
        { type: 'dense', units: 3 },
      ],
      loss: 'softmax_cross_entropy',
      ...extra,
    },
    data: { kind: 'builtin', name: 'iris' } as Record<string, unknown>,
  };
}
