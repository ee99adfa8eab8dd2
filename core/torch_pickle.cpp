#include "torch_pickle.h"

#include <bit>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

#include "error.h"

namespace ss {

namespace {

enum class Kind { None, Bool, Int, Float, Str, Tuple, List, Dict, Global, Storage, Tensor, Mark };
enum class Global { OrderedDict, RebuildTensor, RebuildParameter, FloatStorage, BFloat16Storage, HalfStorage };

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::None: return "None";
    case Kind::Bool: return "a bool";
    case Kind::Int: return "an int";
    case Kind::Float: return "a float";
    case Kind::Str: return "a string";
    case Kind::Tuple: return "a tuple";
    case Kind::List: return "a list";
    case Kind::Dict: return "a dict";
    case Kind::Global: return "a global";
    case Kind::Storage: return "a storage";
    case Kind::Tensor: return "a tensor";
    case Kind::Mark: return "a MARK";
  }
  return "?";
}

// A value on the stack or in a container. Containers live in the interpreter's arena (`node` indexes
// it), so a memo entry and the stack share one container as Python's objects would, and a container
// that holds itself frees with the arena.
// Strings are shared, not copied: a pickle that fetches one long string from the memo a million
// times holds it once.
struct Value {
  Kind kind = Kind::None;
  int64_t i = 0;       // Bool, Int; Global id; Storage / Tensor index
  double f = 0;
  std::shared_ptr<const std::string> text;  // Str; Global's dotted name
  int32_t node = -1;   // Tuple, List, Dict (a flat key, value list)

  const std::string& s() const {
    static const std::string empty;
    return text ? *text : empty;
  }
};

class Unpickler {
 public:
  Unpickler(std::string_view b, const std::string& path, const std::string& entry) : b_(b), path_(path), entry_(entry) {}

  std::vector<std::pair<std::string, TorchTensorRef>> run();

 private:
  [[noreturn]] void fail(const std::string& msg) const { throw Error(path_, entry_ + " at byte " + std::to_string(op_at_), msg); }
  void need(uint64_t n) const {
    if (n > b_.size() - p_) fail("truncated: the opcode needs " + std::to_string(n) + " more bytes, " + std::to_string(b_.size() - p_) + " left");
  }
  uint64_t le(int n) {
    need(n);
    uint64_t v = 0;
    for (int k = n - 1; k >= 0; --k) v = v << 8 | static_cast<unsigned char>(b_[p_ + k]);
    p_ += n;
    return v;
  }
  std::string take(uint64_t n) {
    need(n);
    std::string s(b_.substr(p_, n));
    p_ += n;
    return s;
  }
  std::string line() {
    const size_t nl = b_.find('\n', p_);
    if (nl == std::string_view::npos || nl - p_ > 256) fail("GLOBAL: no newline within 256 bytes (truncated or not a pickle)");
    std::string s(b_.substr(p_, nl - p_));
    p_ = nl + 1;
    return s;
  }

  void push(Value v) {
    if (stack_.size() >= kMaxPickleStack) fail("stack over " + std::to_string(kMaxPickleStack) + " entries");
    stack_.push_back(std::move(v));
  }
  Value pop() {
    if (stack_.empty() || stack_.back().kind == Kind::Mark) fail("stack underflow (a malformed pickle)");
    Value v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  Value& top() {
    if (stack_.empty() || stack_.back().kind == Kind::Mark) fail("stack underflow (a malformed pickle)");
    return stack_.back();
  }
  std::vector<Value> pop_to_mark() {
    size_t m = stack_.size();
    while (m > 0 && stack_[m - 1].kind != Kind::Mark) --m;
    if (m == 0) fail("no MARK on the stack (a malformed pickle)");
    std::vector<Value> items(std::make_move_iterator(stack_.begin() + m), std::make_move_iterator(stack_.end()));
    stack_.resize(m - 1);
    return items;
  }
  Value container(Kind k, std::vector<Value> items = {}) {
    count(items.size());
    nodes_.push_back(std::move(items));
    Value v;
    v.kind = k;
    v.node = static_cast<int32_t>(nodes_.size() - 1);
    return v;
  }
  void count(size_t n) {
    items_ += n + 1;
    if (items_ > kMaxPickleItems) fail("more than " + std::to_string(kMaxPickleItems) + " values: not a state dict");
  }
  std::vector<Value>& items(const Value& v) { return nodes_[v.node]; }
  void add_to(Value& target, std::vector<Value> vals, bool dict) {
    if (dict ? target.kind != Kind::Dict : target.kind != Kind::List)
      fail(std::string(dict ? "SETITEM(S)" : "APPEND(S)") + " on " + kind_name(target.kind));
    if (dict && vals.size() % 2) fail("SETITEMS with an odd number of values");
    count(vals.size());
    auto& it = items(target);
    for (auto& v : vals) it.push_back(std::move(v));
  }
  int64_t as_int(const Value& v, const std::string& what) {
    if (v.kind != Kind::Int && v.kind != Kind::Bool) fail(what + " is " + kind_name(v.kind) + ", not an int");
    return v.i;
  }

  void global(const std::string& module, const std::string& name);
  void reduce();
  void persistent_id();
  Value rebuild_tensor(const std::vector<Value>& args);

  std::string_view b_;
  const std::string& path_;
  const std::string& entry_;
  size_t p_ = 0, op_at_ = 0;
  std::vector<Value> stack_;
  std::unordered_map<uint64_t, Value> memo_;
  std::vector<std::vector<Value>> nodes_;
  size_t items_ = 0;
  struct Storage {
    std::string key;
    DType dtype;
    uint64_t numel;
  };
  std::vector<Storage> storages_;
  std::map<std::string, size_t> storage_by_key_;
  std::vector<TorchTensorRef> tensors_;
};

void Unpickler::global(const std::string& module, const std::string& name) {
  static const std::map<std::string, Global> allowed = {
      {"collections.OrderedDict", Global::OrderedDict},
      {"torch._utils._rebuild_tensor_v2", Global::RebuildTensor},
      {"torch._utils._rebuild_parameter", Global::RebuildParameter},
      {"torch.FloatStorage", Global::FloatStorage},
      {"torch.BFloat16Storage", Global::BFloat16Storage},
      {"torch.HalfStorage", Global::HalfStorage},
  };
  const std::string full = module + "." + name;
  auto it = allowed.find(full);
  if (it == allowed.end()) {
    std::string shown = full.substr(0, 120);
    for (char& c : shown)
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
    if (module == "torch" && name.size() > 7 && name.compare(name.size() - 7, 7, "Storage") == 0)
      fail("refused global '" + shown + "': tensors of this dtype are not read (StateScope reads float32, bfloat16 and float16 tensors)");
    fail("refused global '" + shown + "': a state dict needs only torch's tensor rebuild functions, float storages and OrderedDict; "
         "this pickle names other code, so it is not loaded (nothing in it was run)");
  }
  Value v;
  v.kind = Kind::Global;
  v.i = static_cast<int64_t>(it->second);
  v.text = std::make_shared<const std::string>(full);
  push(std::move(v));
}

void Unpickler::persistent_id() {
  const Value pid = pop();
  if (pid.kind != Kind::Tuple || items(pid).size() != 5) fail("BINPERSID: the persistent id is not a ('storage', type, key, location, numel) tuple");
  const auto& t = items(pid);
  if (t[0].kind != Kind::Str || t[0].s() != "storage") fail("BINPERSID: the persistent id does not start with 'storage'");
  if (t[1].kind != Kind::Global || t[1].i < static_cast<int64_t>(Global::FloatStorage)) fail("BINPERSID: the storage type is not a torch float storage");
  if (t[2].kind != Kind::Str || t[2].s().empty() || t[2].s().size() > 64 || t[2].s().find_first_of("/\\") != std::string::npos || t[2].s() == "." || t[2].s() == "..")
    fail("BINPERSID: the storage key is not a plain name");
  const int64_t numel = as_int(t[4], "BINPERSID: the storage size");
  if (numel < 0 || numel > (int64_t(1) << 40)) fail("BINPERSID: storage size " + std::to_string(numel) + " out of range");
  const DType dt = t[1].i == static_cast<int64_t>(Global::FloatStorage) ? DType::F32 : t[1].i == static_cast<int64_t>(Global::BFloat16Storage) ? DType::BF16 : DType::F16;
  auto [it, fresh] = storage_by_key_.emplace(t[2].s(), storages_.size());
  if (fresh) {
    storages_.push_back({t[2].s(), dt, static_cast<uint64_t>(numel)});
  } else if (storages_[it->second].dtype != dt || storages_[it->second].numel != static_cast<uint64_t>(numel)) {
    fail("storage '" + t[2].s() + "' is named twice with different types or sizes");
  }
  Value v;
  v.kind = Kind::Storage;
  v.i = static_cast<int64_t>(it->second);
  push(std::move(v));
}

Value Unpickler::rebuild_tensor(const std::vector<Value>& a) {
  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  if (a.size() != 6 && a.size() != 7) fail("_rebuild_tensor_v2 with " + std::to_string(a.size()) + " arguments (6 or 7 expected)");
  if (a[0].kind != Kind::Storage) fail("_rebuild_tensor_v2: the first argument is " + std::string(kind_name(a[0].kind)) + ", not a storage");
  if (a[2].kind != Kind::Tuple || a[3].kind != Kind::Tuple) fail("_rebuild_tensor_v2: size or stride is not a tuple");
  const Storage& st = storages_[a[0].i];
  TorchTensorRef t;
  t.storage_key = st.key;
  t.dtype = st.dtype;
  t.storage_numel = st.numel;
  const int64_t offset = as_int(a[1], "_rebuild_tensor_v2: the storage offset");
  if (offset < 0) fail("_rebuild_tensor_v2: negative storage offset");
  t.offset = static_cast<uint64_t>(offset);
  const auto& size = items(a[2]);
  const auto& stride = items(a[3]);
  if (size.size() != stride.size()) fail("_rebuild_tensor_v2: size and stride differ in length");
  if (size.size() > 16) fail("_rebuild_tensor_v2: more than 16 dimensions");
  uint64_t numel = 1;
  unsigned __int128 last = t.offset;  // the last element the view touches (no overflow: 16 terms under 2^80)
  for (size_t d = 0; d < size.size(); ++d) {
    const int64_t n = as_int(size[d], "_rebuild_tensor_v2: a size"), s = as_int(stride[d], "_rebuild_tensor_v2: a stride");
    if (n < 0 || n > (int64_t(1) << 40) || s < 0 || s > (int64_t(1) << 40)) fail("_rebuild_tensor_v2: size " + std::to_string(n) + " or stride " + std::to_string(s) + " out of range");
    if (n && numel > (uint64_t(1) << 40) / static_cast<uint64_t>(n)) fail("_rebuild_tensor_v2: more than 2^40 elements");
    numel *= static_cast<uint64_t>(n);
    t.shape.push_back(n);
    t.stride.push_back(s);
    if (n) last += static_cast<unsigned __int128>(n - 1) * static_cast<uint64_t>(s);
  }
  if (numel && last >= st.numel)
    fail("_rebuild_tensor_v2: a view of shape " + shape_to_string(t.shape) + " at offset " + std::to_string(t.offset) + " reaches past the end" +
         " of storage '" + st.key + "', which holds " + std::to_string(st.numel));
  if (a[5].kind != Kind::Dict || !items(a[5]).empty()) fail("_rebuild_tensor_v2: backward hooks are not an empty dict");
  tensors_.push_back(std::move(t));
  Value v;
  v.kind = Kind::Tensor;
  v.i = static_cast<int64_t>(tensors_.size() - 1);
  return v;
}

void Unpickler::reduce() {
  const Value args = pop();
  const Value fn = pop();
  if (fn.kind != Kind::Global) fail("REDUCE applies " + std::string(kind_name(fn.kind)) + ", not an allowed function");
  if (args.kind != Kind::Tuple) fail("REDUCE of " + fn.s() + " with arguments that are not a tuple");
  const std::vector<Value> a = items(args);
  switch (static_cast<Global>(fn.i)) {
    case Global::OrderedDict:
      if (!a.empty()) fail("OrderedDict(...) with arguments: only OrderedDict() is expected");
      push(container(Kind::Dict));
      return;
    case Global::RebuildTensor:
      push(rebuild_tensor(a));
      return;
    case Global::RebuildParameter:  // _rebuild_parameter(data, requires_grad, backward_hooks)
      if (a.size() != 3 || a[0].kind != Kind::Tensor) fail("_rebuild_parameter without a tensor as its first of three arguments");
      push(a[0]);
      return;
    default:
      fail("REDUCE applies " + fn.s() + ", which a state dict never calls");
  }
}

std::vector<std::pair<std::string, TorchTensorRef>> Unpickler::run() {
  if (b_.size() > kMaxPickleBytes) fail("is " + std::to_string(b_.size()) + " bytes; the limit is " + std::to_string(kMaxPickleBytes));
  for (;;) {
    op_at_ = p_;
    need(1);
    const unsigned char op = static_cast<unsigned char>(b_[p_++]);
    switch (op) {
      case 0x80: {  // PROTO
        const uint64_t v = le(1);
        if (v > 5) fail("pickle protocol " + std::to_string(v) + " (at most 5 exists)");
        break;
      }
      case 0x95: le(8); break;  // FRAME: a length hint only
      case '.': {  // STOP
        if (stack_.size() != 1 || stack_[0].kind == Kind::Mark) fail("STOP with " + std::to_string(stack_.size()) + " values on the stack (one expected)");
        const Value root = stack_[0];
        if (root.kind != Kind::Dict) fail("the pickle holds " + std::string(kind_name(root.kind)) + ", not a state dict (a dict of tensors)");
        std::vector<std::pair<std::string, TorchTensorRef>> out;
        std::set<std::string> seen;
        const auto& kv = items(root);
        for (size_t k = 0; k + 1 < kv.size(); k += 2) {
          if (kv[k].kind != Kind::Str) fail("a state dict key is " + std::string(kind_name(kv[k].kind)) + ", not a string");
          if (kv[k + 1].kind != Kind::Tensor)
            fail("the value of '" + kv[k].s().substr(0, 200) + "' is " + kind_name(kv[k + 1].kind) + ", not a tensor (a nested checkpoint? StateScope reads a plain state dict)");
          if (!seen.insert(kv[k].s()).second) fail("'" + kv[k].s().substr(0, 200) + "' appears twice in the state dict");
          out.emplace_back(kv[k].s(), tensors_[kv[k + 1].i]);
        }
        if (p_ != b_.size()) fail(std::to_string(b_.size() - p_) + " bytes after STOP");
        return out;
      }
      case '(': { Value m; m.kind = Kind::Mark; push(std::move(m)); break; }
      case ')': push(container(Kind::Tuple)); break;
      case 't': push(container(Kind::Tuple, pop_to_mark())); break;
      case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
        const size_t n = op - 0x84;
        std::vector<Value> v(n);
        for (size_t k = n; k-- > 0;) v[k] = pop();
        push(container(Kind::Tuple, std::move(v)));
        break;
      }
      case ']': push(container(Kind::List)); break;
      case 'l': push(container(Kind::List, pop_to_mark())); break;
      case 'a': { Value v = pop(); add_to(top(), {std::move(v)}, false); break; }
      case 'e': { auto v = pop_to_mark(); add_to(top(), std::move(v), false); break; }
      case '}': push(container(Kind::Dict)); break;
      case 'd': {
        auto v = pop_to_mark();
        if (v.size() % 2) fail("DICT with an odd number of values");
        push(container(Kind::Dict, std::move(v)));
        break;
      }
      case 's': { Value v = pop(); Value k = pop(); add_to(top(), {std::move(k), std::move(v)}, true); break; }
      case 'u': { auto v = pop_to_mark(); add_to(top(), std::move(v), true); break; }
      case 'N': push(Value{}); break;
      case 0x88: case 0x89: { Value v; v.kind = Kind::Bool; v.i = op == 0x88; push(std::move(v)); break; }
      case 'J': { Value v; v.kind = Kind::Int; v.i = static_cast<int32_t>(static_cast<uint32_t>(le(4))); push(std::move(v)); break; }
      case 'K': { Value v; v.kind = Kind::Int; v.i = static_cast<int64_t>(le(1)); push(std::move(v)); break; }
      case 'M': { Value v; v.kind = Kind::Int; v.i = static_cast<int64_t>(le(2)); push(std::move(v)); break; }
      case 0x8a: case 0x8b: {  // LONG1, LONG4: little-endian two's complement of n bytes
        const uint64_t n = le(op == 0x8a ? 1 : 4);
        if (n > 8) fail("an integer of " + std::to_string(n) + " bytes: larger than any size or offset in a state dict");
        need(n);
        uint64_t u = 0;
        for (uint64_t k = n; k-- > 0;) u = u << 8 | static_cast<unsigned char>(b_[p_ + k]);
        if (n && n < 8 && (static_cast<unsigned char>(b_[p_ + n - 1]) & 0x80)) u |= ~uint64_t(0) << (8 * n);  // sign-extend
        p_ += n;
        Value v;
        v.kind = Kind::Int;
        v.i = static_cast<int64_t>(u);
        push(std::move(v));
        break;
      }
      case 'G': {  // BINFLOAT, big-endian
        need(8);
        uint64_t u = 0;
        for (int k = 0; k < 8; ++k) u = u << 8 | static_cast<unsigned char>(b_[p_ + k]);
        p_ += 8;
        Value v;
        v.kind = Kind::Float;
        v.f = std::bit_cast<double>(u);
        push(std::move(v));
        break;
      }
      case 'X': case 0x8c: case 0x8d: case 'U': case 'T': case 'B': case 'C': case 0x8e: {  // strings and bytes
        const int len_bytes = (op == 0x8c || op == 'U' || op == 'C') ? 1 : (op == 0x8d || op == 0x8e) ? 8 : 4;
        const uint64_t n = le(len_bytes);
        Value v;
        v.kind = Kind::Str;
        v.text = std::make_shared<const std::string>(take(n));
        push(std::move(v));
        break;
      }
      case 'c': {  // GLOBAL module\nname\n
        const std::string module = line();
        const std::string name = line();
        global(module, name);
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        const Value name = pop();
        const Value module = pop();
        if (module.kind != Kind::Str || name.kind != Kind::Str) fail("STACK_GLOBAL without two strings");
        global(module.s(), name.s());
        break;
      }
      case 'q': memo_[le(1)] = top(); break;                // BINPUT
      case 'r': memo_[le(4)] = top(); break;                // LONG_BINPUT
      case 0x94: memo_[memo_.size()] = top(); break;        // MEMOIZE
      case 'h': case 'j': {                                 // BINGET, LONG_BINGET
        const uint64_t k = le(op == 'h' ? 1 : 4);
        auto it = memo_.find(k);
        if (it == memo_.end()) fail("memo index " + std::to_string(k) + " was never stored (" + std::to_string(memo_.size()) + " entries)");
        push(it->second);
        break;
      }
      case 'Q': persistent_id(); break;
      case 'R': reduce(); break;
      case 'b': {  // BUILD: nn.Module.state_dict() attaches _metadata this way; the state is not needed
        const Value state = pop();
        if (top().kind != Kind::Dict || state.kind != Kind::Dict) fail("BUILD on " + std::string(kind_name(top().kind)) + ": only a state dict's _metadata is expected");
        break;
      }
      case '0': pop(); break;
      case '1': pop_to_mark(); break;
      case '2': push(top()); break;
      default: {
        std::string shown = (op >= 0x20 && op < 0x7f) ? std::string(" '") + static_cast<char>(op) + "'" : "";
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        fail(std::string("opcode ") + hex + shown + " is not allowed in a state dict (it builds or imports arbitrary objects, or is not a pickle opcode)");
      }
    }
  }
}

}  // namespace

std::vector<std::pair<std::string, TorchTensorRef>> parse_torch_pickle(std::string_view bytes, const std::string& path, const std::string& entry) {
  return Unpickler(bytes, path, entry).run();
}

}  // namespace ss
