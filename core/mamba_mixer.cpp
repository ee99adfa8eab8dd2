// Mamba-1 mixer (Gu & Dao 2023), as transformers' MambaMixer / JambaMambaMixer / FalconMambaMixer.
//
// Shapes: T tokens, D d_model, Di d_inner (expand * D), N state dims, R dt_rank, K conv kernel.
//   [x, z]   = in_proj(u)                      [T, 2Di]
//   x        = silu(conv1d_causal(x))          [T, Di]
//   [r, B, C]= x_proj(x)                       [T, R], [T, N], [T, N]    (Jamba: RMSNorm on each;
//                                                                         Falcon-Mamba: RMSNorm without weight)
//   Δ        = softplus(dt_proj(r))            [T, Di]   (Δ → average: every row the mean, intervention.h)
//   h_t      = exp(Δ_t A) ∘ h_{t-1} + (Δ_t x_t) B_t^T                    [Di, N]
//   y_t      = h_t C_t + D ∘ x_t               [T, Di]
//   out      = out_proj(y ∘ silu(z))           [T, D]
#include "error.h"
#include "layer.h"

namespace ss {

namespace {

class MambaMixer final : public Mixer {
 public:
  MambaMixer(ModelFolder& ck, const ModelConfig& c, const std::string& p, Backend& be) : m_(c.mamba), eps_(c.mamba.dt_bc_norm_eps) {
    const int64_t D = c.d_model, Di = m_.d_inner, N = m_.d_state, R = m_.dt_rank, K = m_.d_conv;
    in_proj_ = load_weight(ck, be, p + "in_proj.weight", {2 * Di, D});
    out_proj_ = load_weight(ck, be, p + "out_proj.weight", {D, Di});
    if (m_.proj_bias) {
      in_bias_ = load_weight(ck, be, p + "in_proj.bias", {2 * Di});
      out_bias_ = load_weight(ck, be, p + "out_proj.bias", {D});
    }
    conv_w_ = be.upload(ck.get(p + "conv1d.weight", {Di, 1, K}).reshaped({Di, K}));
    if (m_.conv_bias) conv_b_ = load_weight(ck, be, p + "conv1d.bias", {Di});
    x_proj_ = load_weight(ck, be, p + "x_proj.weight", {R + 2 * N, Di});
    dt_proj_ = load_weight(ck, be, p + "dt_proj.weight", {Di, R});
    dt_bias_ = load_weight(ck, be, p + "dt_proj.bias", {Di});
    Tensor a_log = ck.get(p + "A_log", {Di, N});
    Tensor A = Tensor::zeros({Di, N});
    A.flat() = -a_log.flat().array().exp().matrix();  // A = -exp(A_log)
    A_ = be.upload(A);
    A_host_ = A;
    D_ = load_weight(ck, be, p + "D", {Di});
    D_host_ = be.to_host(D_);
    if (m_.dt_bc_norms && m_.dt_bc_norm_weights) {
      dt_norm_ = load_weight(ck, be, p + "dt_layernorm.weight", {R});
      b_norm_ = load_weight(ck, be, p + "b_layernorm.weight", {N});
      c_norm_ = load_weight(ck, be, p + "c_layernorm.weight", {N});
    } else if (m_.dt_bc_norms) {  // Falcon-Mamba: the norm without weight is rms_norm with weight 1
      Tensor ones_r = Tensor::zeros({R}), ones_n = Tensor::zeros({N});
      ones_r.flat().setOnes();
      ones_n.flat().setOnes();
      dt_norm_ = be.upload(ones_r);
      b_norm_ = be.upload(ones_n);
      c_norm_ = be.upload(ones_n);
    }
  }

  MixerKind kind() const override { return MixerKind::Mamba; }

  LayerState initial_state(Backend& be) const override {
    LayerState s;
    s.conv_state = be.zeros({m_.d_inner, m_.d_conv - 1});  // [Di, K-1]
    s.ssm_state = be.zeros({m_.d_inner, m_.d_state});      // [Di, N]
    return s;
  }

  Tensor forward(Backend& be, const Tensor& u, LayerState& s, const Tracer& cb, int il, const LayerIntervention& iv) const override {
    return run(be, u, s, cb, il, iv, /*step=*/false);
  }
  Tensor step(Backend& be, const Tensor& u, LayerState& s, const Tracer& cb, int il, const LayerIntervention& iv) const override {
    return run(be, u, s, cb, il, iv, /*step=*/true);
  }

  Tensor ssm_A() const override { return A_host_; }
  Tensor ssm_D() const override { return D_host_; }

  int64_t state_bytes() const override {
    return static_cast<int64_t>(sizeof(float)) * m_.d_inner * (m_.d_state + m_.d_conv - 1);
  }

 private:
  Tensor run(Backend& be, const Tensor& u, LayerState& s, const Tracer& cb, int il, const LayerIntervention& iv, bool step) const {
    const int64_t Di = m_.d_inner, N = m_.d_state, R = m_.dt_rank;
    Tensor xz = be.linear(u, in_proj_, in_bias_.empty() ? nullptr : &in_bias_);       // [T, 2Di]
    Tensor x = be.slice_cols(xz, 0, Di);                                              // [T, Di]
    Tensor z = be.slice_cols(xz, Di, 2 * Di);                                         // [T, Di]
    x = be.conv1d_causal(x, conv_w_, conv_b_.empty() ? nullptr : &conv_b_, s.conv_state, /*silu=*/true);
    Tensor rbc = be.linear(x, x_proj_, nullptr);                                      // [T, R + 2N]
    Tensor r = be.slice_cols(rbc, 0, R);                                              // [T, R]
    Tensor B = be.slice_cols(rbc, R, R + N);                                          // [T, N]
    Tensor C = be.slice_cols(rbc, R + N, R + 2 * N);                                  // [T, N]
    if (m_.dt_bc_norms) {
      r = be.rms_norm(r, dt_norm_, eps_);
      B = be.rms_norm(B, b_norm_, eps_);
      C = be.rms_norm(C, c_norm_, eps_);
    }
    Tensor delta = be.softplus(be.linear(r, dt_proj_, nullptr), &dt_bias_);           // [T, Di]
    if (iv.mean_delta) {  // intervention.h: Δ_t -> its mean over the text (a time-invariant SSM)
      cb(trace::kMambaDeltaSelective, il, delta);
      delta = delta_average(be, delta, iv);                                           // [T, Di] rows equal
    }

    // The gate is always fused into the scan; y before it is an extra output only when traced.
    Tensor states, y_ungated;
    SelectiveScanArgs a;
    a.x = &x; a.delta = &delta; a.A = &A_; a.B = &B; a.C = &C; a.D = &D_; a.z = &z;
    a.state = &s.ssm_state;
    a.pos0 = cb.pos0();
    a.state_stride = cb.state_stride(trace::kMambaStridedStates, il);
    a.states = &states;
    a.y_ungated = cb.wants(trace::kMambaY, il) ? &y_ungated : nullptr;
    const Tensor y = step ? be.selective_scan_step(a) : be.selective_scan(a);         // [T, Di] gated

    cb(trace::kMambaX, il, x);
    cb(trace::kMambaDelta, il, delta);
    cb(trace::kMambaB, il, B);
    cb(trace::kMambaC, il, C);
    cb(trace::kMambaZ, il, z);
    if (!y_ungated.empty()) cb(trace::kMambaY, il, y_ungated);
    if (!states.empty()) cb(trace::kMambaStridedStates, il, std::move(states));  // observation only: handed over
    cb(trace::kMambaState, il, s.ssm_state);
    return be.linear(y, out_proj_, out_bias_.empty() ? nullptr : &out_bias_);         // [T, D]
  }

  MambaParams m_;
  float eps_;
  Tensor in_proj_, in_bias_;    // [2Di, D], [2Di]
  Tensor conv_w_, conv_b_;      // [Di, K], [Di]
  Tensor x_proj_;               // [R + 2N, Di]
  Tensor dt_proj_, dt_bias_;    // [Di, R], [Di]
  Tensor A_, D_;                // [Di, N], [Di]
  Tensor A_host_, D_host_;      // host copies for ssm_A() / ssm_D()
  Tensor out_proj_, out_bias_;  // [D, Di], [D]
  Tensor dt_norm_, b_norm_, c_norm_;  // Jamba: [R], [N], [N] (Falcon-Mamba: ones)
};

}  // namespace

std::unique_ptr<Mixer> load_mamba_mixer(ModelFolder& ck, const ModelConfig& c, const std::string& prefix, Backend& be) {
  return std::make_unique<MambaMixer>(ck, c, prefix, be);
}

}  // namespace ss
