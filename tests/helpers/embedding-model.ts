// A small Keras model with an Embedding, shared by the worker tests that train one.

/** Keras 3's JSON of Sequential([Input((3,), int32), Embedding(11, 4), GlobalAveragePooling1D(), Dense(3)]). */
export const EMBEDDING_JSON = {
  module: 'keras',
  class_name: 'Sequential',
  registered_name: null,
  config: {
    name: 'sequential',
    trainable: true,
    layers: [
      {
        module: 'keras.layers',
        class_name: 'InputLayer',
        registered_name: null,
        config: { batch_shape: [null, 3], dtype: 'int32', sparse: false, name: 'input_layer' },
      },
      {
        module: 'keras.layers',
        class_name: 'Embedding',
        registered_name: null,
        build_config: { input_shape: [null, 3] },
        config: {
          name: 'embedding',
          trainable: true,
          input_dim: 11,
          output_dim: 4,
          mask_zero: false,
          embeddings_initializer: {
            module: 'keras.initializers',
            class_name: 'RandomUniform',
            config: { seed: null, minval: -0.5, maxval: 0.5 },
            registered_name: null,
          },
          embeddings_regularizer: null,
          activity_regularizer: null,
          embeddings_constraint: null,
        },
      },
      {
        module: 'keras.layers',
        class_name: 'GlobalAveragePooling1D',
        registered_name: null,
        config: { name: 'global_average_pooling1d', trainable: true, data_format: 'channels_last', keepdims: false },
      },
      {
        module: 'keras.layers',
        class_name: 'Dense',
        registered_name: null,
        build_config: { input_shape: [null, 4] },
        config: {
          name: 'dense',
          trainable: true,
          units: 3,
          activation: 'linear',
          use_bias: true,
          kernel_initializer: {
            module: 'keras.initializers',
            class_name: 'GlorotUniform',
            config: { seed: null },
            registered_name: null,
          },
          bias_initializer: { module: 'keras.initializers', class_name: 'Zeros', config: {}, registered_name: null },
          kernel_regularizer: null,
          bias_regularizer: null,
          activity_regularizer: null,
          kernel_constraint: null,
          bias_constraint: null,
        },
      },
    ],
  },
};
