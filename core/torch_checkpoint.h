// TorchCheckpoint: a state dict written by torch.save (PyTorch's ZIP format: <name>/data.pkl, the
// pickled dict of tensor descriptions, plus one stored entry <name>/data/<key> per storage), read
// without running Python: the ZIP through zip_archive.h, the pickle through the restricted
// unpickler of torch_pickle.h. Tensors are float32, bfloat16 or float16, any strides.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mapped_file.h"
#include "torch_pickle.h"
#include "weight_file.h"
#include "zip_archive.h"

namespace ss {

class TorchCheckpoint final : public WeightFile {
 public:
  // Opens and validates `path`: one <name>/data.pkl, byteorder "little" (when given), a pickle the
  // restricted unpickler accepts, and for every tensor a stored storage entry of exactly the size the
  // pickle gives, with the view inside it. Throws ss::Error naming the file and the entry or tensor.
  explicit TorchCheckpoint(std::string path);

  const std::string& path() const override { return path_; }
  std::vector<std::string> names() const override { return order_; }
  bool contains(const std::string& name) const override { return tensors_.count(name) != 0; }
  Shape shape_of(const std::string& name) const override { return ref(name).shape; }
  DType dtype_of(const std::string& name) const override { return ref(name).dtype; }
  Tensor read(const std::string& name) override;
  bool same_data(const std::string& a, const std::string& b) const override;

  const TorchTensorRef& ref(const std::string& name) const;  // throws ss::Error when absent

 private:
  std::string path_;
  std::unique_ptr<ZipArchive> zip_;
  std::unique_ptr<MappedFile> map_;
  std::map<std::string, TorchTensorRef> tensors_;
  std::vector<std::string> order_;       // the state dict's order
  std::map<std::string, ZipEntry> storages_;  // storage key -> its entry
};

}  // namespace ss
