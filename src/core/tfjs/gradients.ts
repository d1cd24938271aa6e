/**
 * Side-effect import: tfjs-core's Node build registers no gradient functions (its ESM
 * register_all_gradients cannot load under plain Node); the @tensorflow/tfjs bundle registers them all
 * into tfjs's global registry, shared with tfjs-core. Then the project's own gradients replace some.
 */
import '@tensorflow/tfjs';
import { registerGradient } from '@tensorflow/tfjs-core';
import { reluGradientConfig, reluGradGradientConfig } from './relu-gradient';
import { meanGradientConfig, sumGradientConfig } from './reduce-gradients';
import { headsMatMulGradConfig } from './heads-matmul';

registerGradient(reluGradientConfig);
registerGradient(reluGradGradientConfig);
registerGradient(sumGradientConfig);
registerGradient(meanGradientConfig);
registerGradient(headsMatMulGradConfig);
