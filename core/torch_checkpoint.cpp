#include "torch_checkpoint.h"

#include "error.h"

namespace ss {

TorchCheckpoint::TorchCheckpoint(std::string path) : path_(std::move(path)) {
  zip_ = std::make_unique<ZipArchive>(path_);
  // torch.save puts everything under one folder named after the file ("archive" for buffers).
  std::string prefix;
  for (const auto& [name, e] : zip_->entries()) {
    const size_t slash = name.find('/');
    if (slash != std::string::npos && name.compare(slash, std::string::npos, "/data.pkl") == 0) {
      if (!prefix.empty()) throw Error(path_, name, "a second data.pkl (after " + prefix + "data.pkl): not a torch.save checkpoint");
      prefix = name.substr(0, slash + 1);
    }
  }
  if (prefix.empty()) throw Error(path_, "data.pkl", "missing: a ZIP archive, but not one torch.save wrote (no <name>/data.pkl)");
  if (const ZipEntry* bo = zip_->find(prefix + "byteorder")) {
    const std::string order = zip_->read(*bo, 16);
    if (order != "little") throw Error(path_, bo->name, "byte order '" + order.substr(0, 16) + "': only little-endian checkpoints are read");
  }
  const ZipEntry& pkl = *zip_->find(prefix + "data.pkl");
  const std::string bytes = zip_->read(pkl, kMaxPickleBytes);
  for (auto& [name, t] : parse_torch_pickle(bytes, path_, pkl.name)) {
    const std::string entry = prefix + "data/" + t.storage_key;
    const ZipEntry* e = zip_->find(entry);
    if (!e) throw Error(path_, name, "its storage " + entry + " is not in the archive");
    const uint64_t need = t.storage_numel * dtype_bytes(t.dtype);
    if (e->size != need)
      throw Error(path_, name, "storage " + entry + " is " + std::to_string(e->size) + " bytes but the pickle gives " + std::to_string(t.storage_numel) +
                                   " elements of " + dtype_name(t.dtype) + " (" + std::to_string(need) + " bytes)");
    storages_.emplace(t.storage_key, *e);
    order_.push_back(name);
    tensors_.emplace(name, std::move(t));
  }
}

const TorchTensorRef& TorchCheckpoint::ref(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw Error(path_, name, "no such tensor");
  return it->second;
}

bool TorchCheckpoint::same_data(const std::string& a, const std::string& b) const {
  if (!contains(a) || !contains(b)) return false;
  const TorchTensorRef &x = ref(a), &y = ref(b);
  return x.storage_key == y.storage_key && x.offset == y.offset && x.shape == y.shape && x.stride == y.stride;
}

Tensor TorchCheckpoint::read(const std::string& name) {
  const TorchTensorRef& t = ref(name);
  const ZipEntry& e = storages_.at(t.storage_key);
  if (!map_) map_ = std::make_unique<MappedFile>(zip_->file());
  map_->check_unchanged(name);
  const int64_t n = shape_numel(t.shape);
  Tensor out(allocate_host(n), t.shape, Device::Cpu);
  const size_t elt = dtype_bytes(t.dtype);
  const unsigned char* base = map_->data() + e.data_offset;  // the view was checked against the storage's size
  // Row-major contiguous (what state dicts nearly always hold): one conversion. Otherwise element by
  // element along the strides, the last dimension innermost.
  bool contiguous = true;
  int64_t expect = 1;
  for (size_t d = t.shape.size(); d-- > 0;) {
    if (t.shape[d] != 1 && t.stride[d] != expect) contiguous = false;
    expect *= t.shape[d];
  }
  // The copy reads the mapping inside MappedFile::read_guarded (a file cut short meanwhile is an
  // error, not a SIGBUS); everything it needs is made before, since the fault leaves by siglongjmp.
  std::vector<int64_t> idx(t.shape.size(), 0);
  struct Copy {
    const TorchTensorRef* t;
    const unsigned char* base;
    size_t elt;
    int64_t n;
    bool contiguous;
    int64_t* idx;
    float* out;
  } job{&t, base, elt, n, contiguous, idx.data(), out.data()};
  map_->read_guarded(name, [](void* p) {
    const Copy& c = *static_cast<const Copy*>(p);
    const TorchTensorRef& t = *c.t;
    if (c.contiguous) {
      widen_to_float(c.base + t.offset * c.elt, t.dtype, static_cast<uint64_t>(c.n), c.out);
      return;
    }
    const size_t rank = t.shape.size();
    for (int64_t i = 0; i < c.n; ++i) {
      uint64_t at = t.offset;
      for (size_t d = 0; d < rank; ++d) at += static_cast<uint64_t>(c.idx[d]) * static_cast<uint64_t>(t.stride[d]);
      widen_to_float(c.base + at * c.elt, t.dtype, 1, c.out + i);
      for (size_t d = rank; d-- > 0;) {
        if (++c.idx[d] < t.shape[d]) break;
        c.idx[d] = 0;
      }
    }
  }, &job);
  map_->release(e.data_offset, e.size);
  return out;
}

}  // namespace ss
