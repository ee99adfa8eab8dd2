// ExplorerWindow: assembles the explorer — the input editor and token strip in the middle, the model
// columns on top, every view in a dock — and wires them to one Workspace. It owns no model logic.
#pragma once

#include <QMainWindow>
#include <QMap>

#include "Theme.h"

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
  TokenStrip* tokenStrip() const { return m_strip; }
  InputEditor* inputEditor() const { return m_input; }
  Stepper* stepper() const { return m_stepper; }

  // Opens the shipped models (or the test checkpoints), up to four that load. Returns how many.
  int openBuiltinModels();
  void setText(const QByteArray& bytes);   // into the editor and the models
  void refreshPanels();                    // every panel now (the headless exporter and tests use it)
  void setDark(bool dark);
  void arrangeDocks();  // the default proportions of the views for the window's size
  bool isDark() const { return m_dark; }
  static QByteArray sampleText();

 protected:
  void closeEvent(QCloseEvent* e) override;
  void showEvent(QShowEvent* e) override;

 private:
  void buildMenus();
  void rebuildColumns();
  void exportPanel(QWidget* w, Panel* panel, const QString& format);
  void openModelFolder();
  void updateTransportIcons();  // the play/pause/step/stop glyphs in the theme's text colour

  Workspace* m_ws;
  Stepper* m_stepper;
  InputEditor* m_input;
  TokenStrip* m_strip;
  QWidget* m_columnsBox;
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
};
