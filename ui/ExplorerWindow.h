// ExplorerWindow: assembles the explorer — the input editor and token strip in the middle, the model
// columns on top, every view in a dock — and wires them to one Workspace. It owns no model logic.
// Layout: the window opens within the available screen (never larger; its minimum size fits 1280 × 720
// at zoom 1); below 1600 × 900 the views share one tabbed dock beside the text ("compact"), above it
// they are laid out side by side ("wide"). Docks can be tabbed, hidden, floated and restored (View
// menu); "focus" gives one view the whole window (Alt+1..6, Esc back); zoom (Ctrl +/−/0) is Zoom.h.
// Geometry, dock layout, theme and zoom are saved with QSettings.
#pragma once

#include <QMainWindow>
#include <QMap>
#include <optional>

#include "Theme.h"
#include "frame.h"

class InputEditor;
class QAction;
class ModelColumn;
class Panel;
class QDockWidget;
class QHBoxLayout;
class QLabel;
class QProgressBar;
class QToolButton;
class Stepper;
class TokenStrip;
class Workspace;

class ExplorerWindow : public QMainWindow {
  Q_OBJECT
 public:
  // `restoreSettings`: window geometry, dock layout and theme from QSettings (off for headless export).
  explicit ExplorerWindow(bool restoreSettings = true, QWidget* parent = nullptr);
  ~ExplorerWindow() override;

  Workspace* workspace() const { return m_ws; }
  Panel* panel(const QString& key) const { return m_panels.value(key); }
  QList<Panel*> panels() const { return m_panels.values(); }
  // The worker is idle and every panel (but the cost view, measured on request) shows a frame of
  // document state `serial` or newer: what the benchmark and the soak wait for after an action.
  bool showsDocumentState(quint64 serial) const;
  TokenStrip* tokenStrip() const { return m_strip; }
  InputEditor* inputEditor() const { return m_input; }
  Stepper* stepper() const { return m_stepper; }

  // Opens the shipped models (or the test checkpoints), up to four that load. Returns how many.
  int openBuiltinModels();
  void setText(const QByteArray& bytes);   // into the editor and the models
  void refreshPanels();                    // every panel now (the headless exporter and tests use it)
  void setDark(bool dark);
  void arrangeDocks();  // the default layout for the window's size: wide or compact
  enum class Preset { Wide, Compact };
  void arrangeDocks(Preset preset);
  Preset presetFor(QSize size) const;  // compact below 1600 × 900 logical pixels at zoom 1 (scaled by the zoom)
  bool isDark() const { return m_dark; }
  QDockWidget* dock(const QString& key) const { return m_docks.value(key); }  // "models" or a panel key

  // Focus: one view fills the window (every other dock and the text hidden); leaveFocus() restores
  // the layout as it was. The classroom presentation mode drives these and Zoom.
  void focusView(const QString& key);
  void leaveFocus();
  QString focusedView() const { return m_focused; }
  // Where Save dialogs open: the last export folder, else the user's Pictures / Documents / home
  // (never the working directory, which may be the source tree).
  static QString exportDirectory();
  // Clamps the window into the screen's available geometry (a saved geometry from a larger screen).
  void fitToScreen();
  static constexpr int kLayoutVersion = 2;  // restoreState() rejects layouts saved by an older window
  static QByteArray sampleText();

 protected:
  void closeEvent(QCloseEvent* e) override;
  void showEvent(QShowEvent* e) override;
  bool eventFilter(QObject* o, QEvent* e) override;  // the model columns' size changes: updateColumnsHeight

 private:
  void buildMenus();
  void rebuildColumns();
  void exportPanel(QWidget* w, Panel* panel, const QString& format);
  void openModelFolder();
  void updateTransportIcons();  // the play/pause/step/stop glyphs in the theme's text colour
  void updateColumnsHeight();   // the models dock never squeezes the columns' schedules
  void onZoomChanged();
  // Asks the session for the frames of the shown panels only (a panel in a hidden tab or a closed
  // dock costs nothing per keystroke; it is computed when it shows). refreshPanels() asks for all.
  void syncViews();
  // The views of the panels (only the shown ones, when asked), plus `also`, sorted.
  QList<ss::View> panelViews(bool shownOnly, std::optional<ss::View> also = std::nullopt) const;
  bool m_syncViewsQueued = false;

  Workspace* m_ws;
  Stepper* m_stepper;
  InputEditor* m_input;
  TokenStrip* m_strip;
  QWidget* m_columnsBox;
  class QScrollArea* m_columnsScroll;
  QHBoxLayout* m_columnsLayout;
  QList<ModelColumn*> m_columns;
  QMap<QString, Panel*> m_panels;
  QMap<QString, QDockWidget*> m_docks;
  QProgressBar* m_progress;
  QToolButton* m_cancel;
  QLabel* m_status;
  QAction* m_darkAction = nullptr;
  QList<QPair<QAction*, Theme::Glyph>> m_transport;
  bool m_dark = false;
  bool m_arranged = false;
  bool m_saveSettings = true;
  QString m_focused;
  QByteArray m_beforeFocus;  // saveState() from before focusView
};
