// WorkspaceFile: a saved explorer session (.statescope, docs/lessons.md#workspace-files): the input
// bytes, the models with the layer/head/channel each column shows, the selection, the layout, the
// lesson and its step. JSON, versioned ("statescope_workspace": N); a file from a newer StateScope
// is refused with a message that says so. Saves are atomic: a temporary file in the same folder,
// flushed to disk, then renamed over the target, so a crash mid-save leaves the old file intact.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ss {

constexpr int kWorkspaceFormatVersion = 1;

struct WorkspaceColumn {
  std::string folder;  // the model folder, as opened
  int layer = 0, head = 0, channel = 0;
  bool delta_average = false;  // the Δ → average intervention ("delta": "average"; absent: the trained model)
  // A layer with attention and an SSM side by side (Falcon-H1, a Zamba2 hybrid layer): the views show its
  // attention ("part": "attention"; absent or "ssm": its SSM).
  bool attention_part = false;
  bool operator==(const WorkspaceColumn&) const = default;
};

struct WorkspaceState {
  std::string input;                        // the bytes (any bytes; stored as text when valid UTF-8)
  std::vector<WorkspaceColumn> columns;
  int active_column = 0;
  std::string device = "auto", precision = "fp32";
  int64_t token = 0;
  std::optional<std::pair<int64_t, int64_t>> window;  // an explicit window [a, b), when the user made one
  std::string window_state;                 // the dock layout (opaque to the core; base64 of Qt's saveState)
  std::vector<std::string> visible_panels;
  std::map<std::string, std::string> scales;  // view key -> scale name
  bool dark = false;
  std::string language = "en";
  std::string lesson;                       // the lesson file, "" when none
  int lesson_step = 0;
  bool operator==(const WorkspaceState&) const = default;
};

std::string workspace_to_json(const WorkspaceState& s);  // the file's text
// Throws LocatedError naming file, line and field (and the version when the file is newer).
WorkspaceState workspace_from_json(const std::string& text, const std::string& path);
WorkspaceState load_workspace(const std::string& path);
// Atomic (core/atomic_file.h): a hidden temporary in the same folder, fsync, rename over `path`; an
// error leaves `path` as it was and names the reason. Throws ss::Error.
void save_workspace(const WorkspaceState& s, const std::string& path);

std::string base64_encode(const std::string& bytes);
bool base64_decode(const std::string& text, std::string* bytes);  // false on a malformed string
bool is_valid_utf8(const std::string& bytes);

}  // namespace ss
