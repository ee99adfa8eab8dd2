// The canonical names of every traced tensor, shared by the core, the UI and the tests.
// Shapes: T = tokens in this call, D = d_model, Di = d_inner, N = state dims, H = heads,
// P = head_dim, G = groups, V = vocab, K = experts per token, E = experts, W = window length,
// C = strided states in this call;
// attention: Hq query heads, Hkv key/value heads, hd head dim.
#pragma once

namespace ss::trace {

// Model level (layer = -1)
inline constexpr char kLogits[] = "logits";                // [T, V]
inline constexpr char kStateBytes[] = "memory.state_bytes"; // [T] recurrent state bytes (all layers) after token t
inline constexpr char kKvBytes[] = "memory.kv_bytes";       // [T] KV cache bytes (all layers) after token t

// Every layer
inline constexpr char kResidualNorm[] = "residual_norm";    // [T] ||residual stream|| after the layer
inline constexpr char kLayerKvBytes[] = "attn.kv_bytes";    // [T] this layer's KV cache bytes after token t

// Mamba-1 (and Jamba's Mamba layers)
inline constexpr char kMambaX[] = "mamba.x";                // [T, Di] scan input (after conv + SiLU)
inline constexpr char kMambaDelta[] = "mamba.delta";        // [T, Di] Δ after softplus (the Δ the scan uses:
                                                            // with Δ → average, every row the mean)
inline constexpr char kMambaDeltaSelective[] = "mamba.delta_selective";  // [T, Di] with Δ → average only
                                                            // (intervention.h): Δ before it was averaged
inline constexpr char kMambaB[] = "mamba.B";                // [T, N]
inline constexpr char kMambaC[] = "mamba.C";                // [T, N]
inline constexpr char kMambaZ[] = "mamba.z";                // [T, Di] gate (before SiLU)
inline constexpr char kMambaY[] = "mamba.y";                // [T, Di] scan output incl. D skip, before the gate
inline constexpr char kMambaStridedStates[] = "mamba.strided_states";  // [C, Di, N] state after each position p with
                                                                        // (p + 1) % Recording::state_stride == 0
inline constexpr char kMambaState[] = "mamba.state";        // [Di, N] state after the last token of the call

// Mamba-2
inline constexpr char kMamba2X[] = "mamba2.x";              // [T, H, P] SSD input (after conv + SiLU)
inline constexpr char kMamba2Delta[] = "mamba2.delta";      // [T, H] Δ after softplus (+ clamp) (as kMambaDelta)
inline constexpr char kMamba2DeltaSelective[] = "mamba2.delta_selective";  // [T, H] as kMambaDeltaSelective
inline constexpr char kMamba2Decay[] = "mamba2.decay";      // [T, H] exp(Δ·A)
inline constexpr char kMamba2B[] = "mamba2.B";              // [T, G, N]
inline constexpr char kMamba2C[] = "mamba2.C";              // [T, G, N]
inline constexpr char kMamba2Y[] = "mamba2.y";              // [T, H, P] SSD output incl. D skip, before the gated norm
inline constexpr char kMamba2StridedStates[] = "mamba2.strided_states";  // [C, H, P, N] as kMambaStridedStates
inline constexpr char kMamba2State[] = "mamba2.state";      // [H, P, N] after the last token of the call

// Attention
inline constexpr char kAttnProbs[] = "attn.probs";          // [R, W] softmax probs of the layer's probs window
                                                            // (Recording::probs_windows): the window's rows whose
                                                            // queries ran in this call (rows from max(t0, pos0)),
                                                            // cols: keys t0..; TraceStore joins them into [W, W]
inline constexpr char kAttnQ[] = "attn.q";                  // [T, Hq, hd] queries (after RoPE when the model has it)
inline constexpr char kAttnK[] = "attn.k";                  // [T, Hkv, hd] keys as stored in the KV cache (after RoPE)

// Mixture of experts (Jamba)
inline constexpr char kMoeExperts[] = "moe.experts";        // [T, K] chosen expert ids (as floats)
inline constexpr char kMoeWeights[] = "moe.weights";        // [T, K] their routing weights
inline constexpr char kMoeRouterLogits[] = "moe.router_logits";  // [T, E]

}  // namespace ss::trace
