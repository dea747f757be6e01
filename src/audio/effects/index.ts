export { addNoiseAtSnr, makeNoise, whiteNoise, pinkNoise, brownNoise, babbleNoise, energy, rms, type NoiseKind } from './noise.ts';
export { reverb, makeRir, estimateRt60, convolve, type ReverbOptions } from './reverb.ts';
export { telephone, type TelephoneOptions } from './telephone.ts';
export { mulawEncode, mulawDecode, mulawRoundTrip } from './mulaw.ts';
export { bandpass, lowpass, highpass, applyBiquad, biquadGain } from './biquad.ts';
export { speedPerturb } from './speed.ts';
export { gain, peak, normalizePeak } from './gain.ts';
