// The stack of identical layers inside TransformerEncoder and TransformerDecoder (internal, not exported by nn).

import { Module, ModuleList } from './module.js';

/**
 * numLayers copies of a layer with the same starting weights, as a ModuleList (PyTorch's _get_clones),
 * for TransformerEncoder and TransformerDecoder; `who` names the caller in errors.
 */
export function cloneLayers(who: string, layer: Module, numLayers: number): ModuleList {
  if (!Number.isInteger(numLayers) || numLayers < 1) throw new RangeError(`${who}: numLayers must be an integer ≥ 1, got ${numLayers}`);
  const clone = (layer as { clone?: () => Module }).clone;
  if (typeof clone !== 'function') {
    throw new TypeError(`${who}: the layer must have a clone() method (like ${who}Layer) so each copy gets the same weights`);
  }
  return new ModuleList(Array.from({ length: numLayers }, () => clone.call(layer)));
}
