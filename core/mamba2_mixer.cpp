// Mamba-2 mixer (Dao & Gu 2024, "SSD"), as transformers 5.17's Mamba2Mixer (torch_forward path), and
// the Mamba-2 layers of the hybrids (BambaMixer, NemotronHMamba2Mixer, GraniteMoeHybridMambaLayer,
// FalconH1Mixer, Zamba2MambaMixer: the gated norm per group with eps 1e-5).
//
// Shapes: T tokens, D d_model, Di d_inner = H * P, H heads, P head_dim, G groups, N state dims,
// K conv kernel, Cd = Di + 2GN conv channels.
//   [z, xBC, dt] = in_proj(u)                          [T, Di], [T, Cd], [T, H]
//   xBC          = silu(conv1d_causal(xBC))            [T, Cd]
//   [x, B, C]    = xBC                                 [T, H, P], [T, G, N], [T, G, N]
//   Δ            = clamp(softplus(dt + dt_bias), time_step_limit)            [T, H]  (Δ → average: rows = the mean)
//   h_t          = exp(Δ_t A) h_{t-1} + Δ_t x_t B_t^T  per head, A = -exp(A_log) scalar   [H, P, N]
//   y_t          = h_t C_t + D x_t                     [T, H, P]   (head h reads group h / (H/G))
//   out          = out_proj(rms_norm(y ∘ silu(z)))     [T, D]      gate before the norm, the norm over
//                                                                  all Di channels (transformers' MambaRMSNormGated;
//                                                                  Nemotron-H: per group of Di / G channels)
//   Falcon-H1: out = out_proj(y ∘ silu(z)) without the norm (mamba_rms_norm = false), or with
//              mamba_norm_before_gate out_proj(rms_norm(y) ∘ silu(z)), the norm per group of Di / G
//              channels; in_proj's input times ssm_in_multiplier and its output slices z, x, B, C, dt
//              times ssm_multipliers (folded into in_proj's rows), out_proj's output times
//              ssm_out_multiplier (folded into out_proj).
// forward() runs the SSD in its chunked matrix form (chunk_size), step() in its recurrent form.
// transformers clamps Δ only in the chunked path; we clamp in both so that they agree (the default
// limit (0, inf) is a no-op either way).
#include <cmath>
#include <vector>

#include "error.h"
#include "layer.h"

namespace ss {

namespace {

// A weight read to the host (for scaling before it goes to the backend); missing: load_weight's error.
Tensor host_weight(ModelFolder& ck, const std::string& name, const Shape& shape) {
  if (!ck.has(name)) throw Error(ck.file_of(name), name, "tensor missing from the model folder (expected shape " + shape_to_string(shape) + ")");
  return ck.get(name, shape);
}
Tensor to_backend(Backend& be, const Tensor& host) { return be.device() == Device::Cpu ? host : be.upload(host); }

// Falcon-H1's multipliers of in_proj's output rows: z [Di], x [Di], B [GN], C [GN], dt [H] times
// ssm_zxbcdt[0..4], each times `input_scale` (the weight: ssm_in_multiplier; the bias: 1). All 1
// in the other families.
std::vector<float> in_proj_row_scales(const ModelConfig& c, float input_scale) {
  const Mamba2Params& m = c.mamba2;
  const int64_t GN = int64_t(m.n_groups) * m.d_state;
  const int64_t sizes[5] = {m.d_inner, m.d_inner, GN, GN, m.n_heads};
  std::vector<float> out;
  for (int part = 0; part < 5; ++part) out.insert(out.end(), size_t(sizes[part]), c.mult.ssm_zxbcdt[part] * input_scale);
  return out;
}

// rows [R, ...] -> row r times scale[r]
void scale_rows(Tensor& t, const std::vector<float>& scale) {
  const int64_t rows = t.size(0), cols = t.numel() / rows;
  for (int64_t r = 0; r < rows; ++r)
    if (scale[size_t(r)] != 1.0f)
      for (int64_t j = 0; j < cols; ++j) t.data()[r * cols + j] *= scale[size_t(r)];
}

class Mamba2Mixer final : public Mixer {
 public:
  Mamba2Mixer(ModelFolder& ck, const ModelConfig& c, const std::string& p, Backend& be)
      : m_(c.mamba2), eps_(c.mamba2.gated_norm_eps > 0.0f ? c.mamba2.gated_norm_eps : c.norm_eps) {
    const int64_t D = c.d_model, Di = m_.d_inner, H = m_.n_heads, K = m_.d_conv;
    const int64_t conv_dim = Di + 2 * int64_t(m_.n_groups) * m_.d_state;
    Tensor in_proj = host_weight(ck, p + "in_proj.weight", {Di + conv_dim + H, D});
    scale_rows(in_proj, in_proj_row_scales(c, c.mult.ssm_in));  // Falcon-H1: ssm_in and ssm_multipliers
    in_proj_ = to_backend(be, in_proj);
    if (m_.in_proj_bias) {
      Tensor in_bias = host_weight(ck, p + "in_proj.bias", {Di + conv_dim + H});
      scale_rows(in_bias, in_proj_row_scales(c, 1.0f));
      in_bias_ = to_backend(be, in_bias);
    }
    // Granite's residual_multiplier and Falcon-H1's ssm_out_multiplier, folded into out_proj.
    const float out_scale = c.mult.residual * c.mult.ssm_out;
    Tensor out_proj = host_weight(ck, p + "out_proj.weight", {D, Di});
    out_proj.flat() *= out_scale;
    if (m_.gated_norm && m_.norm_before_gate) {
      // Falcon-H1: out_proj(w ∘ rms_norm(y) ∘ silu(z)): the norm's weight w is folded into out_proj's
      // columns (out_proj · diag(w)); the norm runs with a unit weight.
      const Tensor w = host_weight(ck, p + "norm.weight", {Di});
      for (int64_t d = 0; d < D; ++d)
        for (int64_t i = 0; i < Di; ++i) out_proj.data()[d * Di + i] *= w.data()[i];
      Tensor ones = Tensor::zeros({int64_t(m_.norm_group_size)});
      ones.flat().setOnes();
      unit_norm_ = to_backend(be, ones);
    } else if (m_.gated_norm) {
      norm_ = load_weight(ck, be, p + "norm.weight", {Di});
    }
    out_proj_ = to_backend(be, out_proj);
    if (m_.out_proj_bias) out_bias_ = load_weight(ck, be, p + "out_proj.bias", {D}, out_scale);
    conv_w_ = load_weight(ck, be, p + "conv1d.weight", {conv_dim, 1, K}).reshaped({conv_dim, K});
    if (m_.conv_bias) conv_b_ = load_weight(ck, be, p + "conv1d.bias", {conv_dim});
    dt_bias_ = load_weight(ck, be, p + "dt_bias", {H});
    const Tensor a_log = be.to_host(load_weight(ck, be, p + "A_log", {H}));
    A_host_ = Tensor::zeros({H});
    A_host_.flat() = -a_log.flat().array().exp().matrix();  // A = -exp(A_log)
    A_ = be.upload(A_host_);
    D_ = load_weight(ck, be, p + "D", {H});
    D_host_ = be.to_host(D_);
  }

  MixerKind kind() const override { return MixerKind::Mamba2; }

  LayerState initial_state(Backend& be) const override {
    LayerState s;
    s.conv_state = be.zeros({conv_dim(), m_.d_conv - 1});                // [Cd, K-1]
    s.ssm_state = be.zeros({m_.n_heads, m_.head_dim, m_.d_state});      // [H, P, N]
    return s;
  }

  Tensor forward(Backend& be, const Tensor& u, LayerState& s, const Tracer& cb, int il, const LayerIntervention& iv) const override {
    return run(be, u, s, cb, il, iv, /*step=*/false);
  }
  Tensor step(Backend& be, const Tensor& u, LayerState& s, const Tracer& cb, int il, const LayerIntervention& iv) const override {
    return run(be, u, s, cb, il, iv, /*step=*/true);
  }

  int64_t state_bytes() const override {
    return static_cast<int64_t>(sizeof(float)) *
           (int64_t(m_.n_heads) * m_.head_dim * m_.d_state + conv_dim() * (m_.d_conv - 1));
  }
  Tensor ssm_A() const override { return A_host_; }
  Tensor ssm_D() const override { return D_host_; }

 private:
  int64_t conv_dim() const { return m_.d_inner + 2 * int64_t(m_.n_groups) * m_.d_state; }

  Tensor run(Backend& be, const Tensor& u, LayerState& s, const Tracer& cb, int il, const LayerIntervention& iv, bool step) const {
    const int64_t T = u.size(0), Di = m_.d_inner, H = m_.n_heads, P = m_.head_dim, G = m_.n_groups, N = m_.d_state;
    const int64_t Cd = conv_dim();
    Tensor zxbcdt = be.linear(u, in_proj_, in_bias_.empty() ? nullptr : &in_bias_);  // [T, Di + Cd + H]
    Tensor z = be.slice_cols(zxbcdt, 0, Di);                                          // [T, Di]
    Tensor xbc = be.slice_cols(zxbcdt, Di, Di + Cd);                                  // [T, Cd]
    Tensor dt = be.slice_cols(zxbcdt, Di + Cd, Di + Cd + H);                          // [T, H]
    xbc = be.conv1d_causal(xbc, conv_w_, conv_b_.empty() ? nullptr : &conv_b_, s.conv_state, /*silu=*/true);
    Tensor x = be.slice_cols(xbc, 0, Di).reshaped({T, H, P});                         // [T, H, P]
    Tensor B = be.slice_cols(xbc, Di, Di + G * N).reshaped({T, G, N});                // [T, G, N]
    Tensor C = be.slice_cols(xbc, Di + G * N, Di + 2 * G * N).reshaped({T, G, N});    // [T, G, N]
    Tensor delta = be.softplus(dt, &dt_bias_);                                        // [T, H]
    if (m_.dt_min > 0.0f || std::isfinite(m_.dt_max)) delta = be.clamp(delta, m_.dt_min, m_.dt_max);
    if (iv.mean_delta) {  // intervention.h: Δ_t -> its mean over the text, per head (after the clamp)
      cb(trace::kMamba2DeltaSelective, il, delta);
      delta = delta_average(be, delta, iv);                                           // [T, H] rows equal
    }

    Tensor states;
    SsdArgs a;
    a.x = &x; a.delta = &delta; a.A = &A_; a.B = &B; a.C = &C; a.D = &D_;
    a.chunk_size = m_.chunk_size;
    a.state = &s.ssm_state;
    a.pos0 = cb.pos0();
    a.state_stride = cb.state_stride(trace::kMamba2StridedStates, il);
    a.states = &states;
    Tensor y = step ? be.ssd_step(a) : be.ssd_chunked(a);                             // [T, H, P]

    cb(trace::kMamba2X, il, x);
    cb(trace::kMamba2Delta, il, delta);
    if (cb.wants(trace::kMamba2Decay, il)) cb(trace::kMamba2Decay, il, be.upload(decay(be.to_host(delta))));
    cb(trace::kMamba2B, il, B);
    cb(trace::kMamba2C, il, C);
    cb(trace::kMamba2Y, il, y);
    if (!states.empty()) cb(trace::kMamba2StridedStates, il, std::move(states));  // observation only: handed over
    cb(trace::kMamba2State, il, s.ssm_state);

    Tensor g;  // [T, Di]
    if (!m_.gated_norm) {
      g = be.silu_mul(z, y.reshaped({T, Di}));                                              // y ∘ silu(z)
    } else if (m_.norm_before_gate) {
      const int64_t groups = Di / m_.norm_group_size;                                       // norm's weight is in out_proj
      g = be.rms_norm(y.reshaped({T * groups, int64_t(m_.norm_group_size)}), unit_norm_, eps_).reshaped({T, Di});
      g = be.silu_mul(z, g);
    } else {
      g = be.rms_norm_gated(y.reshaped({T, Di}), z, norm_, eps_, m_.norm_group_size);
    }
    return be.linear(g, out_proj_, out_bias_.empty() ? nullptr : &out_bias_);               // [T, D]
  }

  // exp(Δ A) per token and head, on the host: [T, H] -> [T, H].
  Tensor decay(const Tensor& delta) const {
    Tensor d = Tensor::zeros(delta.shape());
    const int64_t H = m_.n_heads;
    for (int64_t i = 0; i < delta.numel(); ++i) d.at(i) = std::exp(delta.at(i) * A_host_.at(i % H));
    return d;
  }

  Mamba2Params m_;
  float eps_;
  Tensor in_proj_, in_bias_;    // [Di + Cd + H, D], [Di + Cd + H]
  Tensor conv_w_, conv_b_;      // [Cd, K], [Cd]
  Tensor dt_bias_;              // [H]
  Tensor A_, D_;                // [H], [H]
  Tensor A_host_, D_host_;      // host copies for ssm_A() / ssm_D() and the decay trace
  Tensor norm_;                 // [Di] gated RMSNorm weight (empty: no norm, or norm before the gate)
  Tensor unit_norm_;            // [Di / G] ones: the norm before the gate (its weight is in out_proj_)
  Tensor out_proj_, out_bias_;  // [D, Di], [D]
};

}  // namespace

std::unique_ptr<Mixer> load_mamba2_mixer(ModelFolder& ck, const ModelConfig& c, const std::string& prefix, Backend& be) {
  return std::make_unique<Mamba2Mixer>(ck, c, prefix, be);
}

}  // namespace ss
