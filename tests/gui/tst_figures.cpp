// The explorer's drawing widgets and figures (defects 5-8 of issue 9), asserted on values, colours and
// geometry: attention probabilities on a sequential scale; the hidden-state heatmap's robust range and
// the Δ heatmap's per-channel normalisation, named on the colorbar; axis label formats; model colours
// that agree between charts and model columns, legends with full names; the cost chart on log-log axes
// with distinct ∝T / ∝T² lines; exported panels without their controls; scrolled grids drawn as clipped
// images in SVG; no elided label in a 1920 × 1080 window export.
#include <QtTest>

#include <QAbstractButton>
#include <QAbstractSpinBox>
#include <QApplication>
#include <QChartView>
#include <QComboBox>
#include <QDockWidget>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <cmath>
#include <random>

#include "ChartLegend.h"
#include "ChartStyle.h"
#include "Colormap.h"
#include "CostPanel.h"
#include "DeltaGatePanel.h"
#include "ExplorerWindow.h"
#include "FigureExport.h"
#include "Heatmap.h"
#include "HelpBadge.h"
#include "HiddenStatePanel.h"
#include "LayerScheduleStrip.h"
#include "MatrixPanel.h"
#include "MemoryPanel.h"
#include "ModelColumn.h"
#include "Panels.h"
#include "Workspace.h"
#include "random_model_folder.h"
#include "test_support.h"

namespace {

QString fixture(const char* name) { return QString::fromStdString(ss::test::fixtures_dir()) + "/" + name; }

double colorDistance(QRgb a, QRgb b) {
  return std::hypot(std::hypot(qRed(a) - qRed(b), qGreen(a) - qGreen(b)), qBlue(a) - qBlue(b));
}

// Every <text> element's content in an SVG file.
QStringList svgTexts(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  QXmlStreamReader xml(&f);
  QStringList out;
  while (!xml.atEnd()) {
    xml.readNext();
    if (xml.isStartElement() && xml.name() == QLatin1String("text")) out << xml.readElementText(QXmlStreamReader::IncludeChildElements).trimmed();
  }
  return out;
}

int svgImages(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? int(f.readAll().count("<image")) : 0;
}

}  // namespace

class TestFigures : public QObject {
  Q_OBJECT
 private:
  ExplorerWindow* m_win = nullptr;
  Workspace* ws() { return m_win->workspace(); }
  void settle() {
    for (int i = 0; i < 3; ++i) QApplication::processEvents();
    m_win->refreshPanels();
    QApplication::processEvents();
  }

 private slots:
  void initTestCase() {
    m_win = new ExplorerWindow(/*restoreSettings=*/false);
    QString err;
    for (const char* m : {"mamba1_tied_f32", "mamba2_g1_f32", "llama_mha_f32", "jamba_a"})
      QVERIFY2(ws()->openModel(fixture(m), &err), qPrintable(err));
    QByteArray text;
    while (text.size() < 600) text += "The state keeps a fixed size; attention keeps every byte. ";
    m_win->setText(text);
    ws()->waitForIdle();
    ws()->selectToken(40);
    m_win->setAttribute(Qt::WA_DontShowOnScreen);
    m_win->resize(1920, 1080);
    m_win->show();
    settle();
    m_win->arrangeDocks();
    settle();
  }
  void cleanupTestCase() { delete m_win; }

  void attention_probabilities_use_a_sequential_scale() {
    QCOMPARE(MatrixPanel::scaleFor(ss::MixerKind::Attention, ColorScale::Signed), ColorScale::Linear);
    QCOMPARE(MatrixPanel::scaleFor(ss::MixerKind::Mamba, ColorScale::Signed), ColorScale::Signed);
    QCOMPARE(MatrixPanel::scaleFor(ss::MixerKind::Attention, ColorScale::Log), ColorScale::Log);
    auto* matrix = static_cast<MatrixPanel*>(m_win->panel("matrix"));
    matrix->refresh();
    Heatmap* attn = matrix->heatmap(2);  // llama_mha_f32, layer 0: attention
    QVERIFY(attn && attn->rows() > 10);
    QCOMPARE(attn->scale(), ColorScale::Linear);
    QVERIFY(attn->normalizer().lo() >= 0);
    // A probability of 0 (above the diagonal) is the dark end of viridis, not the grey middle of a
    // diverging map; the largest drawn probability is near the bright end.
    QCOMPARE(attn->cellColor(0, attn->cols() - 1), Colormap::viridis(0));
    QVERIFY(colorDistance(attn->cellColor(0, 0), Colormap::viridis(0)) > 100);
    // The SSM's M is signed: diverging.
    QCOMPARE(matrix->heatmap(0)->scale(), ColorScale::Signed);
  }

  void robust_and_per_channel_ranges_are_named_on_the_colorbar() {
    // 20 state dims × 256 channels ~ N(0, 1), one outlier channel (0.4 % of the values) at 100.
    const int C = 256;
    std::mt19937 rng(3);
    std::normal_distribution<float> n01;
    QVector<float> v(20 * C);
    for (int r = 0; r < 20; ++r)
      for (int c = 0; c < C; ++c) v[r * C + c] = c == 7 ? 100.f : n01(rng);
    Heatmap h;
    h.setScale(ColorScale::Signed);
    h.setUnits("h value");
    h.setData(20, C, v);
    QCOMPARE(h.normalizer().hi(), 100.0);  // full: set by the outlier
    QCOMPARE(h.colorbarLabel(), QString("h value"));
    // A value of 2 is nearly the grey of 0 on the full range...
    const QRgb grey = Colormap::coolWarm(0.5);
    v[0] = 2.f;
    h.setData(20, C, v);
    QVERIFY(colorDistance(h.cellColor(0, 0), grey) < 15);
    // ...and clearly red on the robust range (the 99th percentile of |v|, about 2.6 here).
    h.setColorRange(ColorRange::Robust);
    QVERIFY2(h.normalizer().hi() < 5, qPrintable(QString::number(h.normalizer().hi())));
    QVERIFY(colorDistance(h.cellColor(0, 0), grey) > 60);
    QVERIFY(h.colorbarLabel().contains("99%"));
    // Per channel: every channel's own largest |v| is the end of the map, the outlier's and the others'.
    h.setColorRange(ColorRange::PerColumn);
    QVERIFY(h.colorbarLabel().contains("column max"));
    int r7 = 0;
    QCOMPARE(h.cellColor(r7, 7), Colormap::coolWarm(1.0));
    QCOMPARE(h.values()[7], 100.f);  // the data itself is not changed (exports write it)
    // The views' defaults: robust for the hidden state, per channel for Δ.
    QCOMPARE(static_cast<HiddenStatePanel*>(m_win->panel("state"))->heatmap()->colorRange(), ColorRange::Robust);
    auto* delta = static_cast<DeltaGatePanel*>(m_win->panel("delta"));
    QCOMPARE(delta->heatmap()->colorRange(), ColorRange::PerColumn);
    QVERIFY(delta->heatmap()->colorbarLabel().contains("column max"));
  }

  void delta_per_channel_removes_stripes() {
    // Δ of 32 tokens × 16 channels: channel c has scale 10^(c/4) and varies ±20 % over the tokens.
    QVector<float> v(32 * 16);
    for (int t = 0; t < 32; ++t)
      for (int c = 0; c < 16; ++c) v[t * 16 + c] = float(std::pow(10.0, c / 4.0) * (1.0 + 0.2 * std::sin(t * 0.5 + c)));
    Heatmap h;
    h.setScale(ColorScale::Linear);
    h.setData(32, 16, v);
    // Full range: a row's colours are stripes of the channel scales; within a low channel nothing changes.
    auto spreadInColumn = [&](int c) {
      double m = 0;
      for (int t = 1; t < 32; ++t) m = std::max(m, colorDistance(h.cellColor(t, c), h.cellColor(0, c)));
      return m;
    };
    QVERIFY(spreadInColumn(0) < 10);
    h.setColorRange(ColorRange::PerColumn);
    for (int c : {0, 5, 15}) QVERIFY2(spreadInColumn(c) > 60, qPrintable(QString("channel %1").arg(c)));
  }

  void axis_label_formats() {
    QCOMPARE(ChartStyle::labelFormat(0, 2e6, 3), QString("%.0f"));  // not "2000000.0"
    QCOMPARE(ChartStyle::labelFormat(0, 100, 5), QString("%.0f"));
    // Small ranges: enough decimals that neighbouring ticks differ (not "0 0 0 0 1").
    for (double hi : {1.0, 0.04, 1e-3}) {
      const QString f = ChartStyle::labelFormat(0, hi, 5);
      QStringList ticks;
      for (int k = 0; k < 5; ++k) ticks << QString::asprintf(qPrintable(f), hi * k / 4);
      QCOMPARE(QSet<QString>(ticks.begin(), ticks.end()).size(), 5);
    }
    // A token axis of one token: whole-token ticks only.
    QChart chart;
    auto* x = new QValueAxis;
    x->setLabelFormat("%d");
    x->setRange(0, 1);
    chart.addAxis(x, Qt::AlignBottom);
    ChartStyle::styleAxes(&chart, QApplication::palette(), QApplication::font());
    QCOMPARE(x->tickType(), QValueAxis::TicksDynamic);
    QCOMPARE(x->tickInterval(), 1.0);
    // Byte units keep ticks at 4 digits at most.
    QCOMPARE(ChartStyle::byteUnit(2e6).second, QString("KB"));
    QCOMPARE(ChartStyle::byteUnit(7e6).second, QString("MB"));
    QCOMPARE(ChartStyle::byteUnit(3e10).second, QString("GB"));
    // The memory chart's y axis: its title is a unit, its largest tick has ≤ 4 digits before the point.
    auto* memory = static_cast<MemoryPanel*>(m_win->panel("memory"));
    memory->refresh();
    QChart* mc = memory->findChild<QChartView*>()->chart();
    for (QAbstractAxis* a : mc->axes(Qt::Vertical)) {
      auto* y = qobject_cast<QValueAxis*>(a);
      QVERIFY(y);
      QVERIFY(QStringList({"KB", "MB", "GB"}).contains(y->titleText()));
      QVERIFY(y->max() < 1e4);
    }
  }

  void model_colours_agree_and_legends_are_whole() {
    auto* memory = static_cast<MemoryPanel*>(m_win->panel("memory"));
    memory->refresh();
    QChart* mc = memory->findChild<QChartView*>()->chart();
    const auto columns = m_win->findChildren<ModelColumn*>();
    QCOMPARE(columns.size(), 4);
    int lines = 0;
    for (QAbstractSeries* s : mc->series()) {
      auto* line = qobject_cast<QLineSeries*>(s);
      if (!line || s->type() != QAbstractSeries::SeriesTypeLine) continue;
      for (ModelColumn* c : columns)
        if (QString::fromStdString(ws()->column(c->column()).name) == line->name()) {
          QCOMPARE(line->pen().color(), c->modelColor());
          ++lines;
        }
    }
    QCOMPARE(lines, 4);
    // A model's colour is its layers' colour in the schedule strip (Mamba green, attention orange…).
    QCOMPARE(ChartStyle::modelColor(ss::Architecture::Mamba), LayerScheduleStrip::mixerColor(ss::MixerKind::Mamba));
    QCOMPARE(ChartStyle::modelColor(ss::Architecture::Mamba2), LayerScheduleStrip::mixerColor(ss::MixerKind::Mamba2));
    QCOMPARE(ChartStyle::modelColor(ss::Architecture::Llama), LayerScheduleStrip::mixerColor(ss::MixerKind::Attention));
    // Nemotron-H's schedule as the strip shows it: its MLP layers are feed-forward boxes of their own colour
    // that carry nothing; the Mamba-2 and attention layers carry a state and a KV cache.
    {
      const std::string path = ss::test::fixtures_dir() + "/nemotron_h_f32/config.json";
      const ss::ModelConfig nh = ss::parse_model_config(ss::parse_json_relaxed(ss::test::read_text(path)), path);
      QStringList labels, carries;
      for (ss::MixerKind k : nh.mixers) {
        labels << LayerScheduleStrip::mixerLabel(k);
        carries << LayerScheduleStrip::carryText(k);
      }
      QCOMPARE(labels, QStringList({"M2", "A", "F", "M2", "F"}));
      QCOMPARE(carries, QStringList({"state", "KV↗", "", "state", ""}));
      for (ss::MixerKind k : {ss::MixerKind::Mamba, ss::MixerKind::Mamba2, ss::MixerKind::Attention})
        QVERIFY(LayerScheduleStrip::mixerColor(ss::MixerKind::None) != LayerScheduleStrip::mixerColor(k));
      LayerScheduleStrip strip;
      strip.setConfig(nh);
      strip.resize(strip.sizeHint());
      QVERIFY(!strip.grab().isNull());  // paints the feed-forward layers without tripping over them
    }
    // Zamba2's schedule: every layer ends in its own Mamba-2; a hybrid layer first runs a shared block,
    // the blocks in rotation (hybrid layers 1, 3, 4 -> blocks 0, 1, 0), and carries a KV cache of its own.
    {
      const ss::ModelConfig z = ss::parse_model_config(
          ss::parse_json_relaxed(R"({"architectures": ["Zamba2ForCausalLM"], "vocab_size": 256, "hidden_size": 32,
            "layers_block_type": ["linear_attention", "hybrid", "linear_attention", "hybrid", "hybrid"], "num_mem_blocks": 2,
            "num_attention_heads": 4, "n_mamba_heads": 4})"),
          "zamba2/config.json");
      QStringList labels, carries;
      for (int l = 0; l < z.n_layers; ++l) {
        labels << LayerScheduleStrip::layerLabel(z, l);
        carries << LayerScheduleStrip::layerCarryText(z, l);
      }
      QCOMPARE(labels, QStringList({"M2", "S0+M2", "M2", "S1+M2", "S0+M2"}));
      QCOMPARE(carries, QStringList({"state", "KV↗+state", "state", "KV↗+state", "KV↗+state"}));
      LayerScheduleStrip strip;
      strip.setConfig(z);
      strip.resize(strip.sizeHint());
      QVERIFY(!strip.grab().isNull());
    }
    // The legend lists every model by its full name, nothing elided.
    ChartLegend* legend = ChartLegend::of(mc);
    QVERIFY(legend);
    QVERIFY(legend->isVisible());
    QCOMPARE(legend->names().size(), 4);
    for (int c = 0; c < 4; ++c) QVERIFY(legend->names().contains(QString::fromStdString(ws()->column(c).name)));
    QVERIFY(!legend->text().contains("…") && !legend->text().contains("..."));
    QVERIFY(legend->heightForWidth(200) > 0);  // wraps instead of eliding when narrow
  }

  // Falcon-H1 runs attention and Mamba-2 side by side in every layer: the strip says so (A∥M2, a box
  // half attention orange, half Mamba-2 blue, carrying a state and a KV cache), and the model column
  // offers the part the state and matrix views show (the session's frames follow it).
  void a_parallel_layer_shows_both_mixers() {
    nlohmann::json cfg = ss::testkit::bench_config("falcon_h1");
    cfg["hidden_size"] = 32;
    cfg["num_hidden_layers"] = 3;
    cfg["mamba_d_ssm"] = 64;
    cfg["mamba_d_state"] = 8;
    cfg["mamba_chunk_size"] = 8;
    cfg["intermediate_size"] = 48;
    const ss::ModelConfig fh = ss::parse_model_config(cfg, "falcon_h1/config.json");
    QStringList labels, carries;
    for (ss::MixerKind k : fh.mixers) {
      labels << LayerScheduleStrip::mixerLabel(k);
      carries << LayerScheduleStrip::carryText(k);
    }
    QCOMPARE(labels, QStringList({"A∥M2", "A∥M2", "A∥M2"}));
    QCOMPARE(carries, QStringList({"state+KV↗", "state+KV↗", "state+KV↗"}));
    QVERIFY(LayerScheduleStrip::mixerSwatch(ss::MixerKind::AttentionMamba2).contains(LayerScheduleStrip::mixerColor(ss::MixerKind::Attention).name()));
    QVERIFY(LayerScheduleStrip::mixerSwatch(ss::MixerKind::AttentionMamba2).contains(LayerScheduleStrip::mixerColor(ss::MixerKind::Mamba2).name()));
    LayerScheduleStrip strip;
    strip.setConfig(fh);
    strip.setCurrentLayer(-1);
    strip.resize(360, strip.sizeHint().height());
    const QImage img = strip.grab().toImage();
    const double w = (strip.width() - 2) / 3.0;  // box l spans 1 + l w + 2 .. 1 + (l + 1) w - 2, from y = 2
    for (int l = 0; l < 3; ++l) {
      const int x0 = int(1 + l * w + 2), y = 4;
      QCOMPARE(img.pixelColor(x0 + int(w * 0.15), y), LayerScheduleStrip::mixerColor(ss::MixerKind::Attention));
      QCOMPARE(img.pixelColor(x0 + int(w * 0.8), y), LayerScheduleStrip::mixerColor(ss::MixerKind::Mamba2));
    }
    // The model column: the part box for its layers, the head range of the part shown.
    QTemporaryDir tmp;
    const QString dir = tmp.path() + "/falcon_h1";
    ss::testkit::write_random_model_folder(cfg, dir.toStdString(), 3);
    QString err;
    const int active = ws()->activeColumn();
    const QString last = QString::fromStdString(ws()->column(ws()->columnCount() - 1).dir);  // 4 models at most: its place for a while
    ws()->closeModel(ws()->columnCount() - 1);
    QVERIFY2(ws()->openModel(dir, &err), qPrintable(err));
    const int col = ws()->columnCount() - 1;
    ws()->setActiveColumn(col);
    ws()->waitForIdle();
    ModelColumn* mc = nullptr;
    for (ModelColumn* c : m_win->findChildren<ModelColumn*>())
      if (c->column() == col) mc = c;
    QVERIFY(mc);
    QVERIFY(!mc->partBox()->isHidden());
    QCOMPARE(mc->partBox()->currentIndex(), 0);
    QCOMPARE(mc->headBox()->maximum(), fh.mamba2.n_heads - 1);
    mc->partBox()->setCurrentIndex(1);
    ws()->waitForIdle();
    QVERIFY(ws()->choice(col).attention_part);
    QCOMPARE(mc->headBox()->maximum(), fh.attn.n_heads - 1);
    const ss::FramePtr m = ws()->frame(ss::View::Matrix, col);
    QVERIFY(m && m->error.empty());
    QCOMPARE(m->mixer, std::string("attention"));
    for (ModelColumn* c : m_win->findChildren<ModelColumn*>())  // the shipped models' columns have no such box
      if (c != mc) QVERIFY(c->partBox()->isHidden());
    ws()->closeModel(col);
    QVERIFY2(ws()->openModel(last, &err), qPrintable(err));  // the window as the other tests expect it
    ws()->setActiveColumn(active);
    ws()->waitForIdle();
  }

  void cost_chart_shows_quadratic_growth() {
    QVERIFY(CostPanel::defaultLengths().last() >= 8192);
    auto* cost = static_cast<CostPanel*>(m_win->panel("cost"));
    cost->measure(/*wait=*/true);
    ws()->waitForIdle();
    cost->refresh();
    QChart* cc = cost->findChild<QChartView*>()->chart();
    QCOMPARE(cc->axes(Qt::Horizontal).size(), 1);
    QVERIFY(qobject_cast<QLogValueAxis*>(cc->axes(Qt::Horizontal).first()));
    QVERIFY(qobject_cast<QLogValueAxis*>(cc->axes(Qt::Vertical).first()));
    QLineSeries *lin = nullptr, *quad = nullptr;
    for (QAbstractSeries* s : cc->series()) {
      if (s->name() == "∝ T") lin = qobject_cast<QLineSeries*>(s);
      if (s->name() == "∝ T²") quad = qobject_cast<QLineSeries*>(s);
    }
    QVERIFY(lin && quad);
    QVERIFY(lin->pen().color() != quad->pen().color());  // the swatches differ, not only the dashes
    // On log-log axes ∝T has slope 1 and ∝T² slope 2.
    auto slope = [](QLineSeries* s) {
      const QPointF a = s->at(0), b = s->at(s->count() - 1);
      return std::log(b.y() / a.y()) / std::log(b.x() / a.x());
    };
    QVERIFY(std::abs(slope(lin) - 1) < 1e-6);
    QVERIFY(quad->count() >= 2 && std::abs(slope(quad) - 2) < 1e-6);
  }

  void exported_panels_have_no_controls() {
    auto* matrix = static_cast<MatrixPanel*>(m_win->panel("matrix"));
    m_win->dock("matrix")->raise();
    settle();
    const int mapHeight = matrix->heatmap(0)->height();
    QVERIFY(matrix->findChild<QComboBox*>()->isVisible());
    const QList<QWidget*> hidden = FigureExport::hideControls(matrix);
    // Hidden for the figure: the scale box, the help badge, the caption, the rank readout.
    QVERIFY(hidden.size() >= 4);
    for (QWidget* c : matrix->findChildren<QWidget*>()) {
      if (!c->isVisibleTo(matrix)) continue;
      QVERIFY2(!qobject_cast<QAbstractButton*>(c) && !qobject_cast<QComboBox*>(c) && !qobject_cast<QAbstractSpinBox*>(c) &&
                   !c->property("figureExclude").toBool(),
               c->metaObject()->className());
    }
    QVERIFY2(matrix->heatmap(0)->height() > mapHeight, "the plots take the controls' room");
    FigureExport::restoreControls(matrix, hidden);
    QVERIFY(matrix->findChild<QComboBox*>()->isVisible());
    QVERIFY(matrix->findChild<HelpBadge*>()->isVisible());
    // The export itself leaves the panel as it was.
    QTemporaryDir tmp;
    QVERIFY(FigureExport::exportWidget(matrix, tmp.filePath("m.png"), "png", 96).isEmpty());
    QVERIFY(matrix->findChild<QComboBox*>()->isVisible());
    QCOMPARE(matrix->heatmap(0)->height(), mapHeight);
  }

  void vector_exports_draw_scrolled_grids_as_clipped_images() {
    QTemporaryDir tmp;
    const QString svg = tmp.filePath("window.svg");
    QVERIFY(FigureExport::exportWidget(m_win, svg, "svg").isEmpty());
    // The byte grids (token strips), the text and the table are images, clipped to their viewports;
    // none of their cells is vector text that could spill over other panels. A token strip cell's hex
    // label ("54" for 'T', "20" for a space) would be a <text> of its own.
    const QStringList texts = svgTexts(svg);
    QVERIFY(!texts.isEmpty());
    QVERIFY(!texts.contains("54") && !texts.contains("20") && !texts.contains("65"));
    QVERIFY(svgImages(svg) >= 4);
  }

  void no_elided_labels_in_a_1080p_window_export() {
    QTemporaryDir tmp;
    const QString svg = tmp.filePath("window.svg");
    QCOMPARE(m_win->size(), QSize(1920, 1080));
    QVERIFY(FigureExport::exportWidget(m_win, svg, "svg").isEmpty());
    const QStringList texts = svgTexts(svg);
    QStringList elided, buttons;  // "Open file…" is a button's own text, not an elision
    for (QAbstractButton* b : m_win->findChildren<QAbstractButton*>()) buttons << b->text();
    for (int i = 0; i < texts.size(); ++i)
      if ((texts[i].contains("…") && !buttons.contains(texts[i])) || texts[i].contains("..."))
        elided << texts.mid(std::max(0, i - 2), 3).join(" ");  // with what precedes it
    QVERIFY2(elided.isEmpty(), qPrintable(elided.join(" | ")));
    // Every heatmap's title is whole (no heatmap elides it; it wraps or shrinks).
    for (Heatmap* h : m_win->findChildren<Heatmap*>())
      if (h->isVisible()) QVERIFY(h->plotRect().top() >= h->titleLines() * QFontMetrics(h->titleFont()).height());
  }
};

QTEST_MAIN(TestFigures)
#include "tst_figures.moc"
