// GPU benchmark (issue 3): the ceilings measured in the same run (a large device-to-device copy, FP32
// and BF16 matrix products through cuBLAS), then the Mamba-1 selective scan, the Mamba-2 SSD, causal
// attention and whole-model traces, each beside the ceiling that bounds it. Prints markdown tables.
//   build/tools/bench/statescope-bench-cuda [--quick] [--shipped assets/models]
//       [--sections ceilings,scan,scan-bf16,ssd,ssd-bf16,attention,attention-bf16,models] [--attention] [--ssd-only]
// Inputs are random (never zeros); every time is the median of several runs timed with CUDA events
// after warm-up. The scan and the whole models run in FP32 and in the backend's bf16 mode; the SSD in
// FP32 and through the BF16 tensor-core kernel (kernels/ssd_chunked_bf16.h, called directly; table
// ssd-bf16); attention in FP32 and through the BF16 tensor-core kernel (attention_bf16.h, called
// directly). The ceilings always run (the floors use them), except with --attention: the device line
// and the two attention tables only. --ssd-only = --sections ssd,ssd-bf16.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "attention_bf16.h"
#include "backend.h"
#include "bf16_convert.h"
#include "cuda_backend.h"
#include "cuda_check.h"
#include "model.h"
#include "random_model_folder.h"
#include "random_fill.h"
#include "selective_scan.h"
#include "ssd_chunked_bf16.h"
#include "trace_store.h"

using namespace ss;

namespace {

bool quick = false;
std::unique_ptr<Backend> gpu;       // FP32
std::unique_ptr<Backend> gpu_bf16;  // Precision::bf16
double copy_tbs = 0;     // measured device-to-device copy, TB/s (read + write)
double ex2_per_s = 0;    // special-function-unit exp2 rate from the datasheet shape: 16 / clock / SM

float median_ms(int reps, const std::function<void()>& f) {
  f();
  f();  // warm-up
  SS_CUDA(cudaDeviceSynchronize());
  cudaEvent_t a, b;
  SS_CUDA(cudaEventCreate(&a));
  SS_CUDA(cudaEventCreate(&b));
  std::vector<float> t;
  for (int i = 0; i < reps; ++i) {
    SS_CUDA(cudaEventRecord(a, nullptr));
    f();
    SS_CUDA(cudaEventRecord(b, nullptr));
    SS_CUDA(cudaEventSynchronize(b));
    float ms = 0;
    SS_CUDA(cudaEventElapsedTime(&ms, a, b));
    t.push_back(ms);
  }
  SS_CUDA(cudaEventDestroy(a));
  SS_CUDA(cudaEventDestroy(b));
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

Tensor normal(const Shape& s, uint64_t seed, float mean = 0.0f, float sd = 1.0f) {
  Tensor t = gpu->empty(s);
  cuda::fill_normal(t.data(), t.numel(), seed, mean, sd, nullptr);
  return t;
}

void release_pool() {
  SS_CUDA(cudaDeviceSynchronize());
  cudaMemPool_t pool;
  SS_CUDA(cudaDeviceGetDefaultMemPool(&pool, 0));
  SS_CUDA(cudaMemPoolTrimTo(pool, 0));
}

void ceilings() {
  cudaDeviceProp prop{};
  SS_CUDA(cudaGetDeviceProperties(&prop, 0));
  int clock_khz = 0;
  SS_CUDA(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, 0));
  ex2_per_s = 16.0 * prop.multiProcessorCount * clock_khz * 1e3;
  std::printf("## Device\n\n%s, %d SMs, %.1f GiB, max SM clock %.2f GHz, L2 %.0f MB; backend: %s\n\n", prop.name, prop.multiProcessorCount,
              prop.totalGlobalMem / 1073741824.0, clock_khz / 1e6, prop.l2CacheSize / 1e6, gpu->name().c_str());
  std::printf("## Ceilings (measured in this run)\n\n| ceiling | value |\n| --- | --- |\n");
  {
    const int64_t n = int64_t(1) << 29;  // 2 GiB of floats
    Tensor a = normal({n}, 1), b = gpu->empty({n});
    const float ms = median_ms(10, [&] { SS_CUDA(cudaMemcpyAsync(b.data(), a.data(), 4 * n, cudaMemcpyDeviceToDevice, nullptr)); });
    copy_tbs = 2.0 * 4 * n / (ms * 1e-3) / 1e12;
    std::printf("| device-to-device copy, 2 GiB (bytes read + written) | %.2f TB/s |\n", copy_tbs);
  }
  {
    // Device -> host, 512 MB: into pageable memory (touched before; what to_host does) and into pinned memory.
    const int64_t n = int64_t(1) << 27;
    Tensor a = normal({n}, 4);
    std::vector<float> pageable(n, 1.0f);
    const float ms = median_ms(5, [&] { SS_CUDA(cudaMemcpy(pageable.data(), a.data(), 4 * n, cudaMemcpyDeviceToHost)); });
    float* pinned = nullptr;
    SS_CUDA(cudaMallocHost(&pinned, 4 * n));
    const float msp = median_ms(5, [&] { SS_CUDA(cudaMemcpy(pinned, a.data(), 4 * n, cudaMemcpyDeviceToHost)); });
    SS_CUDA(cudaFreeHost(pinned));
    std::printf("| device-to-host copy, 512 MB into pageable / pinned memory | %.1f / %.1f GB/s |\n", 4.0 * n / (ms * 1e-3) / 1e9,
                4.0 * n / (msp * 1e-3) / 1e9);
  }
  cublasHandle_t h;
  if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) throw std::runtime_error("cublasCreate");
  const int n = 8192;
  const float one = 1.0f, zero = 0.0f;
  {
    Tensor A = normal({n, n}, 2), B = normal({n, n}, 3), C = gpu->empty({n, n});
    const float ms = median_ms(5, [&] { cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, A.data(), n, B.data(), n, &zero, C.data(), n); });
    std::printf("| FP32 matrix product 8192^3 (cuBLAS SGEMM, no TF32) | %.1f TFLOP/s |\n", 2.0 * n * n * n / (ms * 1e-3) / 1e12);
    Tensor Ab = gpu->empty({n * n / 2}), Bb = gpu->empty({n * n / 2}), Cb = gpu->empty({n * n / 2});  // bf16 storage
    cuda::to_bf16(A.data(), Ab.data(), int64_t(n) * n, nullptr);
    cuda::to_bf16(B.data(), Bb.data(), int64_t(n) * n, nullptr);
    const float msb = median_ms(5, [&] {
      cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, Ab.data(), CUDA_R_16BF, n, Bb.data(), CUDA_R_16BF, n, &zero, Cb.data(),
                   CUDA_R_16BF, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    });
    std::printf("| BF16 matrix product 8192^3 (cuBLAS, FP32 accumulate) | %.1f TFLOP/s |\n", 2.0 * n * n * n / (msb * 1e-3) / 1e12);
  }
  cublasDestroy(h);
  std::printf("| exp2 on the special-function units (16 / clock / SM, datasheet, not measured) | %.2f T/s |\n\n", ex2_per_s / 1e12);
  release_pool();
}

// --- Mamba-1 selective scan ---

struct ScanSet {
  Tensor x, dt, A, B, C, D, z, state;
};

ScanSet scan_inputs(int64_t L, int64_t Di, int64_t N) {
  ScanSet s;
  s.x = normal({L, Di}, 11);
  s.dt = gpu->softplus(normal({L, Di}, 12, -2.5f, 1.0f), nullptr);
  Tensor A = Tensor::zeros({Di, N});
  for (int64_t i = 0; i < A.numel(); ++i) A.at(i) = -std::exp(std::log(16.0f) * float((i * 7919) % 1000) / 1000.0f);
  s.A = gpu->upload(A);
  s.B = normal({L, N}, 13);
  s.C = normal({L, N}, 14);
  s.D = normal({Di}, 15, 1.0f, 0.3f);
  s.z = normal({L, Di}, 16);
  s.state = gpu->zeros({Di, N});
  return s;
}

void scan_pass_times(cuda::ScanInput input);

void selective_scan_table() {
  std::printf("## Mamba-1 selective scan (FP32, batch 1, fused: Δ-discretisation, scan, C readout, D skip, z gate)\n\n");
  std::printf("Minimum bytes = x, Δ, z read + y written (4 B each) + B, C + checkpoints written. Floor = max(bytes / copy ceiling, "
              "exps / exp2 rate). E = checkpoint every E tokens (0 = off).\n\n");
  std::printf("| d_inner | N | L | E | time ms | M tokens/s | min GB | achieved TB/s | floor ms | time / floor |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  std::vector<int64_t> Ls = quick ? std::vector<int64_t>{4096, 65536} : std::vector<int64_t>{4096, 16384, 65536, 262144, 1048576};
  for (int64_t Di : {1536, 5120})
    for (int64_t N : {16, 64})
      for (int64_t L : Ls) {
        if (4.0 * 4 * L * Di > 40e9) continue;  // x, Δ, z, y over 40 GB
        ScanSet s = scan_inputs(L, Di, N);
        for (int64_t E : {int64_t(0), int64_t(64)}) {
          Tensor ck;
          SelectiveScanArgs a{&s.x, &s.dt, &s.A, &s.B, &s.C, &s.D, &s.z, &s.state, 0, E, &ck};
          const float ms = median_ms(L >= 262144 ? 5 : 10, [&] { gpu->selective_scan(a); });
          const double bytes = 4.0 * (4.0 * L * Di + 2.0 * L * N + (E ? double(L / E) * Di * N : 0.0));
          const double floor_ms = 1e3 * std::max(bytes / (copy_tbs * 1e12), double(L) * Di * N / ex2_per_s);
          std::printf("| %lld | %lld | %lld | %lld | %.3f | %.1f | %.2f | %.2f | %.3f | %.2f |\n", (long long)Di, (long long)N, (long long)L,
                      (long long)E, ms, L / (ms * 1e-3) / 1e6, bytes / 1e9, bytes / (ms * 1e-3) / 1e12, floor_ms, ms / floor_ms);
        }
        release_pool();
      }
  // Where the time goes, at the headline shape.
  scan_pass_times(cuda::ScanInput::f32);
}

// BF16 copies of a scan's inputs (x, Δ, z, B, C), made outside the timed region, as the public
// BF16 kernel's benchmark takes them.
struct ScanBf16 {
  Tensor x, dt, z, B, C;  // bf16 storage: half the floats of the FP32 shape
};
ScanBf16 scan_bf16_copies(const ScanSet& s) {
  auto half = [](const Tensor& t) {
    Tensor h = gpu->empty({(t.numel() + 1) / 2});
    cuda::to_bf16(t.data(), h.data(), t.numel(), nullptr);
    return h;
  };
  return {half(s.x), half(s.dt), half(s.z), half(s.B), half(s.C)};
}

cuda::SelectiveScanParams scan_params(const ScanSet& s, const ScanBf16* b, Tensor& y, int64_t L, int64_t Di, int64_t N) {
  cuda::SelectiveScanParams p;
  if (b) {
    p.input = cuda::ScanInput::bf16;
    p.x = b->x.data(), p.delta = b->dt.data(), p.B = b->B.data(), p.C = b->C.data(), p.z = b->z.data();
  } else {
    p.x = s.x.data(), p.delta = s.dt.data(), p.B = s.B.data(), p.C = s.C.data(), p.z = s.z.data();
  }
  p.A = s.A.data(), p.D = s.D.data(), p.y = y.data(), p.state = s.state.data(), p.T = L, p.Di = Di, p.N = N;
  return p;
}

void selective_scan_bf16_table() {
  std::printf("## Mamba-1 selective scan, BF16 inputs (x, Δ, z, B, C as bf16; FP32 state, exponentials, y and checkpoints)\n\n");
  std::printf("The kernel alone on bf16 copies of the inputs (as the public BF16 kernel is timed). Minimum bytes = x, Δ, z read (2 B) + "
              "y written (4 B, FP32) + B, C (2 B) + checkpoints (4 B). Floor as in the FP32 table.\n\n");
  std::printf("| d_inner | N | L | E | time ms | M tokens/s | min GB | achieved TB/s | floor ms | time / floor | FP32 ms (same run) |\n"
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  std::vector<int64_t> Ls = quick ? std::vector<int64_t>{4096, 65536} : std::vector<int64_t>{4096, 16384, 65536, 262144, 1048576};
  for (int64_t Di : {1536, 5120})
    for (int64_t N : {16, 64})
      for (int64_t L : Ls) {
        if (4.0 * 4 * L * Di > 40e9) continue;  // as the FP32 table (FP32 originals are made first)
        ScanSet s = scan_inputs(L, Di, N);
        const ScanBf16 b = scan_bf16_copies(s);
        Tensor y = gpu->empty({L, Di});
        for (int64_t E : {int64_t(0), int64_t(64)}) {
          Tensor ck = E ? gpu->empty({L / E, Di, N}) : Tensor();
          auto timed = [&](const ScanBf16* in) {
            cuda::SelectiveScanParams p = scan_params(s, in, y, L, Di, N);
            if (E) p.checkpoints = ck.data(), p.every = E;
            const cuda::ScanPlan plan = cuda::plan_selective_scan(p);
            Tensor ws = gpu->empty({std::max<int64_t>(1, plan.workspace_floats)});
            return median_ms(L >= 262144 ? 5 : 10, [&] { cuda::selective_scan(p, plan, ws.data(), nullptr); });
          };
          const float ms = timed(&b), ms32 = timed(nullptr);
          const double bytes = 2.0 * 3 * L * Di + 4.0 * L * Di + 2.0 * 2 * L * N + (E ? 4.0 * double(L / E) * Di * N : 0.0);
          const double floor_ms = 1e3 * std::max(bytes / (copy_tbs * 1e12), double(L) * Di * N / ex2_per_s);
          std::printf("| %lld | %lld | %lld | %lld | %.3f | %.1f | %.2f | %.2f | %.3f | %.2f | %.3f |\n", (long long)Di, (long long)N, (long long)L,
                      (long long)E, ms, L / (ms * 1e-3) / 1e6, bytes / 1e9, bytes / (ms * 1e-3) / 1e12, floor_ms, ms / floor_ms, ms32);
        }
        release_pool();
      }
  scan_pass_times(cuda::ScanInput::bf16);
  // The backend op in bf16 mode converts its FP32 inputs first (the model path today).
  const int64_t L = 65536, Di = 1536, N = 16;
  ScanSet s = scan_inputs(L, Di, N);
  Tensor ck;
  SelectiveScanArgs a{&s.x, &s.dt, &s.A, &s.B, &s.C, &s.D, &s.z, &s.state, 0, 0, &ck};
  const float op_ms = median_ms(10, [&] { gpu_bf16->selective_scan(a); });
  std::printf("Backend op in bf16 mode at d_inner 1536, N 16, L 64K (FP32 tensors in: five conversions to bf16, then the kernel): %.3f ms\n\n",
              op_ms);
  release_pool();
}

void scan_pass_times(cuda::ScanInput input) {
  const int64_t L = 65536, Di = 1536, N = 16;
  ScanSet s = scan_inputs(L, Di, N);
  Tensor y = gpu->empty({L, Di});
  const bool bf16 = input == cuda::ScanInput::bf16;
  const ScanBf16 b = bf16 ? scan_bf16_copies(s) : ScanBf16{};
  const cuda::SelectiveScanParams p = scan_params(s, bf16 ? &b : nullptr, y, L, Di, N);
  const cuda::ScanPlan plan = cuda::plan_selective_scan(p);
  Tensor ws = gpu->empty({std::max<int64_t>(1, plan.workspace_floats)});
  std::vector<cuda::ScanPassTimes> runs;
  for (int i = 0; i < 7; ++i) runs.push_back(cuda::selective_scan_timed(p, plan, ws.data(), nullptr));
  std::sort(runs.begin(), runs.end(), [](auto& a, auto& b) { return a.summary + a.combine + a.output < b.summary + b.combine + b.output; });
  const auto& t = runs[runs.size() / 2];
  const double exps = double(L) * Di * N;
  const double in_bytes = bf16 ? 2.0 : 4.0;
  std::printf("\nWhere the time goes (%s inputs, d_inner 1536, N 16, L 64K, E 0; %lld chunks of %lld tokens):\n\n", bf16 ? "BF16" : "FP32",
              (long long)plan.n_chunks, (long long)plan.chunk);
  std::printf("| pass | ms | bound by | its floor ms |\n| --- | --- | --- | --- |\n");
  std::printf("| 1: chunk end states from zero (exp per token, channel, state) | %.3f | exp2: %.2fG exps | %.3f |\n", t.summary,
              exps * (plan.n_chunks - 1) / plan.n_chunks / 1e9, 1e3 * exps / ex2_per_s);
  std::printf("| 2: chain the chunk states | %.3f | latency (%lld sequential steps) | - |\n", t.combine, (long long)plan.n_chunks);
  const double out_bytes = (3 * in_bytes + 4.0) * L * Di;  // x, Δ, z in; y out (FP32)
  std::printf("| 3: rerun chunks, y, gate, checkpoints | %.3f | max(exp2 %.3f, bytes %.3f) | %.3f |\n\n", t.output, 1e3 * exps / ex2_per_s,
              1e3 * out_bytes / (copy_tbs * 1e12), 1e3 * std::max(exps / ex2_per_s, out_bytes / (copy_tbs * 1e12)));
  release_pool();
}

// --- Mamba-2 SSD ---

void ssd_table() {
  std::printf("## Mamba-2 SSD (FP32, head_dim 64, N 128, one group)\n\n");
  std::printf("FLOPs counted: 2 per state element per token for pass 1 and 3 for pass 3 (update + readout).\n\n");
  std::printf("| H | L | time ms | M tokens/s | TFLOP/s (FP32 FMA) | min GB | achieved TB/s |\n| --- | --- | --- | --- | --- | --- | --- |\n");
  std::vector<int64_t> Ls = quick ? std::vector<int64_t>{16384, 65536} : std::vector<int64_t>{16384, 65536, 262144};
  for (int64_t H : {24, 80})
    for (int64_t L : Ls) {
      const int64_t P = 64, N = 128, G = 1;
      Tensor x = normal({L, H, P}, 21), dt = gpu->softplus(normal({L, H}, 22, -2.0f, 1.0f), nullptr);
      Tensor A = Tensor::zeros({H});
      for (int64_t i = 0; i < H; ++i) A.at(i) = -1.0f - 15.0f * float(i) / H;
      Tensor Ad = gpu->upload(A), B = normal({L, G, N}, 23), C = normal({L, G, N}, 24), D = normal({H}, 25, 1.0f, 0.3f);
      Tensor st = gpu->zeros({H, P, N}), ck;
      SsdArgs a{&x, &dt, &Ad, &B, &C, &D, 64, &st, 0, 0, &ck};
      const float ms = median_ms(5, [&] { gpu->ssd_chunked(a); });
      const double flops = 5.0 * L * H * P * N, bytes = 4.0 * (2.0 * L * H * P + L * H + 2.0 * L * G * N);
      std::printf("| %lld | %lld | %.3f | %.1f | %.1f | %.2f | %.2f |\n", (long long)H, (long long)L, ms, L / (ms * 1e-3) / 1e6,
                  flops / (ms * 1e-3) / 1e12, bytes / 1e9, bytes / (ms * 1e-3) / 1e12);
      release_pool();
    }
  std::printf("\n");
}

// --- Mamba-2 SSD, BF16 tensor cores (kernels/ssd_chunked_bf16.h) ---

// The public Triton SSD chain (BF16) at H 24, as quoted in issue 3 for this H100; 0 where not quoted.
double triton_ms(int64_t H, int64_t L) {
  if (H == 24 && L == 65536) return 1.77;
  if (H == 24 && L == 262144) return 5.08;
  return 0;
}

void ssd_bf16_table() {
  cuda::SsdBf16Params probe;
  probe.P = 64, probe.N = 128, probe.H = 24, probe.chunk = 64;
  float dummy = 0;
  probe.y = &dummy;
  std::string why;
  if (!cuda::ssd_bf16_supported(probe, &why)) {
    std::printf("## Mamba-2 SSD, BF16 tensor cores: not run (%s)\n\n", why.c_str());
    return;
  }
  std::printf("## Mamba-2 SSD, BF16 tensor cores (x, B, C BF16; Δ, A, D, state FP32; head_dim 64, N 128, one group)\n\n");
  std::printf("FLOPs counted as the SSD matrix form needs them per chunk of Q tokens and head: C B^T (causal half, Q^2/2 N),\n"
              "(L ∘ C B^T)(Δ x) (Q^2/2 P), C h^T and the state update (2 Q P N), 2 FLOPs per multiply-add.\n"
              "Segments: blocks per head (each runs its chunks in order). Triton ratio = Triton time / ours.\n\n");
  std::printf("| H | L | Q | y | segments | time ms | M tokens/s | TFLOP/s | vs FP32 path | Triton ms *(issue)* | Triton / ours |\n"
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  std::vector<int64_t> Ls = quick ? std::vector<int64_t>{16384, 65536} : std::vector<int64_t>{16384, 65536, 262144};
  for (int64_t H : {24, 80})
    for (int64_t L : Ls) {
      const int64_t P = 64, N = 128, G = 1;
      Tensor xf = normal({L, H, P}, 21), dt = gpu->softplus(normal({L, H}, 22, -2.0f, 1.0f), nullptr);
      Tensor A = Tensor::zeros({H});
      for (int64_t i = 0; i < H; ++i) A.at(i) = -1.0f - 15.0f * float(i) / H;
      Tensor Ad = gpu->upload(A), Bf = normal({L, G, N}, 23), Cf = normal({L, G, N}, 24), D = normal({H}, 25, 1.0f, 0.3f);
      // BF16 copies of x, B, C and a BF16 y, in spare FP32 tensors (two BF16 values per float).
      Tensor xb = gpu->empty({(L * H * P + 1) / 2}), Bb = gpu->empty({(L * G * N + 1) / 2}), Cb = gpu->empty({(L * G * N + 1) / 2});
      Tensor yb = gpu->empty({(L * H * P + 1) / 2}), yf = gpu->empty({L, H, P});
      auto bf = [](Tensor& t) { return reinterpret_cast<__nv_bfloat16*>(t.data()); };
      cuda::to_bf16(xf.data(), bf(xb), L * H * P, nullptr);
      cuda::to_bf16(Bf.data(), bf(Bb), L * G * N, nullptr);
      cuda::to_bf16(Cf.data(), bf(Cb), L * G * N, nullptr);
      Tensor st = gpu->zeros({H, P, N}), ck;
      SsdArgs a32{&xf, &dt, &Ad, &Bf, &Cf, &D, 64, &st, 0, 0, &ck};
      const float ms32 = median_ms(5, [&] { gpu->ssd_chunked(a32); });
      for (int Q : {64, 128})
        for (bool y_bf16 : {true, false}) {
          cuda::SsdBf16Params p;
          p.x = bf(xb), p.delta = dt.data(), p.A = Ad.data(), p.B = bf(Bb), p.C = bf(Cb), p.D = D.data();
          if (y_bf16) p.y_bf16 = bf(yb);
          else p.y = yf.data();
          p.state = st.data();
          p.T = L, p.H = H, p.P = P, p.G = G, p.N = N, p.chunk = Q;
          const cuda::SsdBf16Plan plan = cuda::plan_ssd_bf16(p);
          Tensor ws = gpu->empty({std::max<int64_t>(1, plan.workspace_floats)});
          const float ms = median_ms(10, [&] { cuda::ssd_bf16(p, plan, ws.data(), nullptr); });
          const double flops = 2.0 * L * H * (Q / 2.0 * N + Q / 2.0 * P + 2.0 * P * N);
          const double tri = triton_ms(H, L);
          char tri_ms[32] = "-", ratio[32] = "-";
          if (tri > 0) {
            std::snprintf(tri_ms, sizeof tri_ms, "%.2f", tri);
            std::snprintf(ratio, sizeof ratio, "%.2fx", tri / ms);
          }
          std::printf("| %lld | %lld | %d | %s | %lld | %.3f | %.1f | %.0f | %.1fx | %s | %s |\n", (long long)H, (long long)L, Q,
                      y_bf16 ? "bf16" : "fp32", (long long)plan.n_segs, ms, L / (ms * 1e-3) / 1e6, flops / (ms * 1e-3) / 1e12, ms32 / ms,
                      tri_ms, ratio);
        }
      if (H == 24 && L == 65536) {  // the segment count at the headline shape (Q 64, y BF16)
        std::printf("| segments at H 24, L 64K, Q 64, y bf16 | | | | | | | | | | |\n");
        for (double waves : {1.0, 4.0, 8.0}) {
          cuda::SsdBf16Params p;
          p.x = bf(xb), p.delta = dt.data(), p.A = Ad.data(), p.B = bf(Bb), p.C = bf(Cb), p.D = D.data(), p.y_bf16 = bf(yb);
          p.state = st.data();
          p.T = L, p.H = H, p.P = P, p.G = G, p.N = N, p.chunk = 64;
          const cuda::SsdBf16Plan plan = cuda::plan_ssd_bf16(p, waves);
          Tensor ws = gpu->empty({std::max<int64_t>(1, plan.workspace_floats)});
          const float ms = median_ms(10, [&] { cuda::ssd_bf16(p, plan, ws.data(), nullptr); });
          std::printf("| %lld | %lld | 64 | bf16 | %lld (%.0f waves) | %.3f | %.1f | | | | %.2fx |\n", (long long)H, (long long)L,
                      (long long)plan.n_segs, waves, ms, L / (ms * 1e-3) / 1e6, triton_ms(H, L) / ms);
        }
      }
      release_pool();
    }
  std::printf("\n");
}

// --- attention ---

void attention_table() {
  std::printf("## Causal attention (FP32 flash-style, CUDA cores; Hq = Hkv)\n\n");
  std::printf("FLOPs = 4 * L^2/2 * hd * H (QK^T and PV over the causal half). Window = probabilities of one head over the last 1024 positions.\n\n");
  std::printf("| L | hd | H | time ms | TFLOP/s | with window ms | window cost |\n| --- | --- | --- | --- | --- | --- | --- |\n");
  std::vector<int64_t> Ls = quick ? std::vector<int64_t>{1024, 4096} : std::vector<int64_t>{1024, 4096, 16384};
  for (int64_t hd : {64, 128})
    for (int64_t L : Ls) {
      const int64_t H = 2048 / hd;
      Tensor q = normal({L, H, hd}, 30), k = normal({L, H, hd}, 31), v = normal({L, H, hd}, 32);
      KvCache cache;
      gpu->kv_append(cache, k, v);
      AttentionArgs a{&q, &cache, 0, 1.0f / std::sqrt(float(hd)), std::nullopt, nullptr};
      const float ms = median_ms(5, [&] { gpu->attention(a); });
      const int64_t W = std::min<int64_t>(1024, L);
      Tensor probs;  // [W, W] (the op allocates the rows of this call)
      a.probs_window = ProbsWindow{0, L - W, L};
      a.probs = &probs;
      const float msw = median_ms(5, [&] { gpu->attention(a); });
      const double flops = 4.0 * L * L / 2 * hd * H;
      std::printf("| %lld | %lld | %lld | %.3f | %.1f | %.3f | %+.1f%% |\n", (long long)L, (long long)hd, (long long)H, ms,
                  flops / (ms * 1e-3) / 1e12, msw, 100.0 * (msw - ms) / ms);
      release_pool();
    }
  std::printf("\n");
}

// BF16 tensor-core attention, called directly (the backend does not route to it yet): every tile shape
// compiled for hd, and for the default one the cost of the probability window (lse + window kernel).
void attention_bf16_table() {
  std::printf("## Causal attention, BF16 tensor cores (attention_bf16.h; FP32 accumulation and softmax, FP32 output; Hq = Hkv)\n\n");
  if (!cuda::attention_bf16_supported(64) || !cuda::attention_bf16_supported(128)) {
    std::printf("Not run: needs compute capability >= 8.0 and kernels built for it.\n\n");
    return;
  }
  std::printf("FLOPs = 4 * L^2/2 * hd * H. Window = the row log-sum-exp written plus one head's probabilities over the last 1024 "
              "positions (tensor-core window kernel), timed on the default tile shape (the first listed).\n\n");
  std::printf("| L | hd | H | tile shape | time ms | TFLOP/s | with window ms | window cost |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n");
  std::vector<int64_t> Ls = quick ? std::vector<int64_t>{4096, 16384} : std::vector<int64_t>{1024, 4096, 16384, 65536};
  for (int64_t hd : {64, 128})
    for (int64_t L : Ls) {
      const int64_t H = 2048 / hd, n = L * H * hd;
      // BF16 storage in float tensors of half the element count; filled through one FP32 scratch.
      Tensor q = gpu->empty({n / 2}), k = gpu->empty({n / 2}), v = gpu->empty({n / 2}), out = gpu->empty({L, H, hd}), lse = gpu->empty({L, H});
      {
        Tensor scratch = gpu->empty({n});
        uint64_t seed = 40;
        for (Tensor* t : {&q, &k, &v}) {
          cuda::fill_normal(scratch.data(), n, seed++, 0.0f, 1.0f, nullptr);
          cuda::to_bf16(scratch.data(), t->data(), n, nullptr);
        }
      }
      cuda::AttentionBf16Params p;
      p.q = reinterpret_cast<const __nv_bfloat16*>(q.data());  // [L, H, hd]
      p.k = reinterpret_cast<const __nv_bfloat16*>(k.data());  // [H, L, hd]
      p.v = reinterpret_cast<const __nv_bfloat16*>(v.data());  // [H, L, hd]
      p.out = out.data();
      p.T = L, p.Hq = H, p.Hkv = H, p.hd = hd, p.capacity = L, p.pos0 = 0, p.scale = 1.0f / std::sqrt(float(hd));
      const double flops = 4.0 * L * L / 2 * hd * H;
      const int reps = L >= 65536 ? 3 : 7;
      for (int variant = 0; variant < cuda::attention_bf16_variants(hd); ++variant) {
        p.tile_variant = variant;
        p.lse = nullptr;
        const float ms = median_ms(reps, [&] { cuda::attention_bf16(p, nullptr); });
        std::printf("| %lld | %lld | %lld | %s | %.3f | %.1f |", (long long)L, (long long)hd, (long long)H, cuda::attention_bf16_variant_name(hd, variant),
                    ms, flops / (ms * 1e-3) / 1e12);
        if (variant == 0) {
          const int64_t W = std::min<int64_t>(1024, L);
          Tensor probs = gpu->empty({W, W});
          p.lse = lse.data();
          const float msw = median_ms(reps, [&] {
            cuda::attention_bf16(p, nullptr);
            cuda::attention_bf16_window(p, 0, L - W, W, 0, W, probs.data(), nullptr);
          });
          std::printf(" %.3f | %+.1f%% |\n", msw, 100.0 * (msw - ms) / ms);
        } else {
          std::printf(" | |\n");
        }
      }
      release_pool();
    }
  std::printf("\n");
}

// --- whole-model traces ---

// One row per size and precision: traced and untraced forward of the model in `dir`. Inputs over 64K
// bytes trace logits and state checkpoints every 4096 tokens only; attention models stop at 64K (FP32
// attention is quadratic on CUDA cores). Model::forward runs inputs over 64K tokens in chunks of 64K.
void model_rows(const std::string& label, const std::string& dir, const std::vector<int64_t>& sizes) {
  for (Backend* be : {gpu.get(), gpu_bf16.get()}) {
    const char* precision = precision_name(be->precision());
    std::unique_ptr<Model> m;
    try {
      m = Model::load(dir, *be);
    } catch (const std::exception& e) {
      std::printf("| %s | %s | - | - | - | - | - | - | not run: %s |\n", label.c_str(), precision, e.what());
      return;
    }
    bool has_attention = false;  // some layer has attention (Falcon-H1's, Zamba2's shared attention too)
    for (int l = 0; l < m->config().n_layers; ++l) has_attention |= m->config().has_kv_cache(l);
    for (int64_t T : sizes) {
      // Attention over 1M positions: minutes in FP32; in bf16 (tensor cores) seconds, run for the
      // shipped models only (the random ones have the same shapes).
      const bool shipped_model = label.rfind("random-", 0) != 0;
      if (T > 65536 && has_attention && (be->precision() == Precision::fp32 || !shipped_model)) {
        std::printf("| %s | %s | %lld | - | - | - | - | - | not run: %s |\n", label.c_str(), precision, (long long)T,
                    be->precision() == Precision::fp32 ? "FP32 attention over 1M positions (minutes)" : "same shapes as the shipped model below");
        continue;
      }
      std::vector<int32_t> tokens(T);
      for (int64_t i = 0; i < T; ++i) tokens[i] = static_cast<int32_t>((i * 2654435761u) >> 7) & 255;
      TraceRequest req;
      if (T > 65536) {
        req.names = {trace::kLogits, trace::kMambaStridedStates, trace::kMamba2StridedStates};
        req.state_stride = 4096;
      } else {
        req.names = {trace::kLogits, trace::kMambaDelta, trace::kMambaStridedStates, trace::kMamba2StridedStates, trace::kAttnProbs};
        req.state_stride = 64;
        for (int l = 0; l < m->config().n_layers; ++l)
          if (m->config().has_kv_cache(l)) {
            req.probs_windows[l] = ProbsWindow{0, T - 512, T};
            break;
          }
      }
      try {
        // Wall time of `reps` forwards (the first one separately: it page-locks the host buffers the
        // later ones reuse), median of the others.
        auto wall_ms = [&](bool traced, double* traced_mb, double* first_ms) {
          std::vector<double> t;
          for (int rep = 0; rep < 4; ++rep) {
            TraceStore store(req);
            ModelState st = m->initial_state();
            SS_CUDA(cudaDeviceSynchronize());
            const auto t0 = std::chrono::steady_clock::now();
            m->forward(tokens, st, traced ? store.recording() : Recording(), /*want_logits=*/false);
            SS_CUDA(cudaDeviceSynchronize());
            const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
            if (rep) t.push_back(ms);
            else if (first_ms) *first_ms = ms;
            if (traced_mb) {
              *traced_mb = 0;
              for (const auto& [name, layer] : store.keys()) *traced_mb += 4.0 * store.get(name, layer).numel() / 1e6;
            }
          }
          std::sort(t.begin(), t.end());
          return t[1];
        };
        release_pool();
        cudaMemPool_t pool;
        SS_CUDA(cudaDeviceGetDefaultMemPool(&pool, 0));
        uint64_t zero = 0, peak = 0;
        SS_CUDA(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrUsedMemHigh, &zero));
        double mb = 0, first = 0;
        const double traced = wall_ms(true, &mb, &first);
        SS_CUDA(cudaMemPoolGetAttribute(pool, cudaMemPoolAttrUsedMemHigh, &peak));
        const double untraced = wall_ms(false, nullptr, nullptr);
        std::printf("| %s | %s | %lld | %.1f | %.1f | %.0f | %.1f | %.0f | %s |\n", label.c_str(), precision, (long long)T, traced, first, mb,
                    untraced, peak / 1048576.0, T > 65536 ? "traced: logits + checkpoints every 4096" : "");
      } catch (const std::exception& e) {
        std::printf("| %s | %s | %lld | - | - | - | - | - | failed: %s |\n", label.c_str(), precision, (long long)T, e.what());
      }
    }
  }
}

void model_table(const std::string& shipped) {
  std::printf("## Whole-model trace\n\n");
  std::printf("Traced (inputs up to 64 KB): logits, Mamba Δ, state checkpoints every 64 tokens, one attention window (head 0, last 512 "
              "positions). Wall time of Model::forward, median of 3 after a first call, with the traces copied to the host (pinned, "
              "reused buffers; copies overlapped with compute); first = that first call (it page-locks the buffers); "
              "untraced = no sink, logits left on the GPU; peak = high-water mark of the CUDA memory pool during the traced calls "
              "(weights, and in bf16 their bf16 copies, included). Inputs over 64K tokens run in chunks of 64K. random-* = 4 layers, "
              "d_model 256, random weights (testkit); the others are the shipped models.\n\n");
  std::printf("| model | precision | bytes | traced wall ms | first traced call ms | traced MB to host | untraced ms | peak GPU MB | note |\n"
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  const std::vector<int64_t> sizes = quick ? std::vector<int64_t>{65536} : std::vector<int64_t>{65536, 1048576};
  for (const std::string family : {"mamba", "mamba2", "llama", "jamba"}) {
    const std::string dir = "/tmp/statescope-bench-" + family;
    testkit::write_random_model_folder(testkit::bench_config(family), dir, 3);
    model_rows("random-" + family, dir, sizes);
  }
  if (!shipped.empty())
    for (const char* name : {"mamba1-bytes", "mamba2-bytes", "llama-bytes", "jamba-bytes"}) model_rows(name, shipped + "/" + name, sizes);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::string shipped;  // --shipped DIR: the shipped models (assets/models) for the whole-model table
  std::string sections = "scan,scan-bf16,ssd,ssd-bf16,attention,attention-bf16,models";  // --sections: which tables (ceilings always)
  bool attention_only = false;
  for (int i = 1; i < argc; ++i) {
    quick |= std::strcmp(argv[i], "--quick") == 0;
    attention_only |= std::strcmp(argv[i], "--attention") == 0;
    if (std::strcmp(argv[i], "--ssd-only") == 0) sections = "ssd,ssd-bf16";  // the two SSD tables (FP32, BF16)
    if (std::strcmp(argv[i], "--shipped") == 0 && i + 1 < argc) shipped = argv[++i];
    if (std::strcmp(argv[i], "--sections") == 0 && i + 1 < argc) sections = argv[++i];
  }
  auto wanted = [&](const std::string& name) { return ("," + sections + ",").find("," + name + ",") != std::string::npos; };
  std::string why;
  gpu = make_cuda_backend(&why);
  gpu_bf16 = make_cuda_backend(&why, Precision::bf16);
  if (!gpu || !gpu_bf16) {
    std::fprintf(stderr, "statescope-bench-cuda: no GPU: %s\n", why.c_str());
    return 1;
  }
  try {
    if (attention_only) {
      cudaDeviceProp prop{};
      SS_CUDA(cudaGetDeviceProperties(&prop, 0));
      std::printf("## Device\n\n%s, %d SMs (attention tables only)\n\n", prop.name, prop.multiProcessorCount);
      attention_table();
      attention_bf16_table();
      return 0;
    }
    ceilings();
    if (wanted("scan")) selective_scan_table();
    if (wanted("scan-bf16")) selective_scan_bf16_table();
    if (wanted("ssd")) ssd_table();
    if (wanted("ssd-bf16")) ssd_bf16_table();
    if (wanted("attention")) attention_table();
    if (wanted("attention-bf16")) attention_bf16_table();
    if (wanted("models")) model_table(shipped);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "statescope-bench-cuda: %s\n", e.what());
    return 1;
  }
  gpu_bf16.reset();
  gpu.reset();
  return 0;
}
