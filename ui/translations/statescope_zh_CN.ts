<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Classroom</name>
    <message>
        <source>Lesson</source>
        <translation>课程</translation>
    </message>
    <message>
        <source>Task notes</source>
        <translation>任务说明</translation>
    </message>
    <message>
        <source>Help</source>
        <translation>帮助</translation>
    </message>
    <message>
        <source>Open lesson…</source>
        <translation>打开课程…</translation>
    </message>
    <message>
        <source>Lessons</source>
        <translation>课程列表</translation>
    </message>
    <message>
        <source>Cannot open the lesson</source>
        <translation>无法打开课程</translation>
    </message>
    <message>
        <source>Export lesson as PDF deck…</source>
        <translation>将课程导出为 PDF 幻灯片…</translation>
    </message>
    <message>
        <source>Open workspace…</source>
        <translation>打开工作区…</translation>
    </message>
    <message>
        <source>Open a workspace</source>
        <translation>打开工作区</translation>
    </message>
    <message>
        <source>StateScope workspace (*.statescope)</source>
        <translation>StateScope 工作区 (*.statescope)</translation>
    </message>
    <message>
        <source>Cannot open the workspace</source>
        <translation>无法打开工作区</translation>
    </message>
    <message>
        <source>Save workspace</source>
        <translation>保存工作区</translation>
    </message>
    <message>
        <source>Save workspace as…</source>
        <translation>工作区另存为…</translation>
    </message>
    <message>
        <source>Save the workspace</source>
        <translation>保存工作区</translation>
    </message>
    <message>
        <source>Cannot save the workspace</source>
        <translation>无法保存工作区</translation>
    </message>
    <message>
        <source>Recent workspaces</source>
        <translation>最近的工作区</translation>
    </message>
    <message>
        <source>Presentation mode</source>
        <translation>演示模式</translation>
    </message>
    <message>
        <source>Present on screen</source>
        <translation>在屏幕上演示</translation>
    </message>
    <message>
        <source>%1: %2 (%3×%4)</source>
        <translation>%1：%2（%3×%4）</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>界面语言</translation>
    </message>
    <message>
        <source>The translation for %1 is missing from this build.</source>
        <translation>此版本缺少 %1 的翻译。</translation>
    </message>
    <message>
        <source>Lesson language</source>
        <translation>课程语言</translation>
    </message>
    <message>
        <source>&amp;Insert</source>
        <translation>插入(&amp;I)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>Views, formulas and shortcuts</source>
        <translation>视图、公式与快捷键</translation>
    </message>
    <message>
        <source>Open a lesson</source>
        <translation>打开课程</translation>
    </message>
    <message>
        <source>StateScope lesson (*.json)</source>
        <translation>StateScope 课程 (*.json)</translation>
    </message>
    <message>
        <source>Cannot make the input</source>
        <translation>无法生成输入</translation>
    </message>
    <message>
        <source>Export lesson</source>
        <translation>导出课程</translation>
    </message>
    <message>
        <source>Open a lesson first (File → Open lesson…).</source>
        <translation>请先打开一个课程（文件 → 打开课程…）。</translation>
    </message>
    <message>
        <source>Export the lesson as a PDF deck</source>
        <translation>将课程导出为 PDF 幻灯片</translation>
    </message>
    <message>
        <source>PDF (*.pdf)</source>
        <translation>PDF (*.pdf)</translation>
    </message>
    <message>
        <source>Cannot export the lesson</source>
        <translation>无法导出课程</translation>
    </message>
    <message>
        <source>wrote %1 (%2 pages)</source>
        <translation>已写入 %1（%2 页）</translation>
    </message>
    <message>
        <source>Restore the last session?</source>
        <translation>恢复上次的会话？</translation>
    </message>
    <message>
        <source>StateScope did not close normally last time. Restore the text, models, lesson and view it had?</source>
        <translation>StateScope 上次没有正常关闭。要恢复当时的文本、模型、课程和视图吗？</translation>
    </message>
    <message>
        <source>Cannot restore the session</source>
        <translation>无法恢复会话</translation>
    </message>
    <message>
        <source>Restored with problems</source>
        <translation>恢复时出现问题</translation>
    </message>
</context>
<context>
    <name>ColorRangeBox</name>
    <message>
        <source>robust range</source>
        <translation>稳健范围</translation>
    </message>
    <message>
        <source>per channel</source>
        <translation>按通道</translation>
    </message>
    <message>
        <source>full range</source>
        <translation>完整范围</translation>
    </message>
    <message>
        <source>Colour range: robust = the 99th percentile (a few outliers saturate instead of greying out the rest); per channel = each channel divided by its own largest |value| (shows how each channel changes, not which channel is large); full = smallest to largest value.</source>
        <translation>颜色范围：稳健 = 第 99 百分位（少数离群值饱和显示，而不会让其余部分都变灰）；按通道 = 每个通道除以它自己的最大 |值|（显示每个通道如何变化，而不是哪个通道大）；完整 = 从最小值到最大值。</translation>
    </message>
</context>
<context>
    <name>CostPanel</name>
    <message>
        <source>Cost</source>
        <translation>计算代价</translation>
    </message>
    <message>
        <source>Measure</source>
        <translation>测量</translation>
    </message>
    <message>
        <source>Time a forward pass of every loaded model at several lengths (on the worker thread)</source>
        <translation>在若干长度上为每个已加载模型的一次前向计算计时（在工作线程上）</translation>
    </message>
    <message>
        <source>press Measure to time every model</source>
        <translation>按“测量”为每个模型计时</translation>
    </message>
    <message>
        <source>Wall-clock time of one forward pass over T tokens, per model, on the backend shown. An SSM layer does O(T) work (one state update per token); an attention layer compares every token with all earlier ones, O(T²) work, and per new token O(T) instead of O(1). Dashed and dotted grey lines: linear and quadratic growth through the first measurement. Both axes are logarithmic, so O(T) is a line of slope 1 and O(T²) a line of slope 2: a curve that bends from the first towards the second is attention&apos;s quadratic term taking over. Tiny models are dominated by per-token overheads, so it shows only at long lengths.</source>
        <translation>每个模型在所示后端上对 T 个 token 做一次前向计算的实际耗时。SSM 层的计算量为 O(T)（每个 token 更新一次状态）；注意力层把每个 token 与之前所有 token 比较，计算量为 O(T²)，每个新 token 的代价是 O(T) 而不是 O(1)。灰色虚线和点线：经过第一个测量点的线性增长和二次增长。两个坐标轴都是对数刻度，因此 O(T) 是斜率为 1 的直线，O(T²) 是斜率为 2 的直线：一条从前者弯向后者的曲线，说明注意力的二次项开始占主导。很小的模型主要受每个 token 的固定开销支配，所以只有在很长的长度上才看得出来。</translation>
    </message>
    <message>
        <source>measuring… (on the worker; the progress bar can cancel it)</source>
        <translation>测量中…（在工作线程上；可在进度条处取消）</translation>
    </message>
    <message>
        <source>sequence length T (tokens, log scale)</source>
        <translation>序列长度 T（token，对数刻度）</translation>
    </message>
    <message>
        <source>forward time (ms, log scale)</source>
        <translation>前向时间（毫秒，对数刻度）</translation>
    </message>
    <message>
        <source>∝ T</source>
        <translation>∝ T</translation>
    </message>
    <message>
        <source>∝ T²</source>
        <translation>∝ T²</translation>
    </message>
    <message>
        <source>Forward time vs length</source>
        <translation>前向时间与长度</translation>
    </message>
    <message>
        <source>%1 lengths × %2 models, best of %3 runs</source>
        <translation>%1 个长度 × %2 个模型，取 %3 次运行中最好的一次</translation>
    </message>
</context>
<context>
    <name>DeltaGatePanel</name>
    <message>
        <source>Δ gate</source>
        <translation>Δ 门控</translation>
    </message>
    <message>
        <source>token t</source>
        <translation>token t</translation>
    </message>
    <message>
        <source>mean Δ</source>
        <translation>平均 Δ</translation>
    </message>
    <message>
        <source>Δ is the SSM&apos;s gate, computed from each token: Δ_t = softplus(W_Δ x_t + b). It sets how much the state forgets and how much of the current input it writes: h_t = exp(Δ_t A) ∘ h_{t-1} + Δ_t x_t B_t. Large Δ (bright): the state is overwritten by the current byte (focus on now). Small Δ (dark): the state is kept (this byte is ignored, the past remembered). Heatmap: token × channel (Mamba-2: × head) over the window; line: the mean over channels; text: every byte coloured by that mean.</source>
        <translation>Δ 是 SSM 的门控，由每个 token 算出：Δ_t = softplus(W_Δ x_t + b)。它决定状态遗忘多少、写入多少当前输入：h_t = exp(Δ_t A) ∘ h_{t-1} + Δ_t x_t B_t。Δ 大（亮）：状态被当前字节覆盖（关注当下）。Δ 小（暗）：状态被保留（忽略这个字节，记住过去）。热图：窗口内的 token × 通道（Mamba-2：× 头）；曲线：各通道的平均值；文本：每个字节按该平均值着色。</translation>
    </message>
    <message>
        <source>log scale</source>
        <translation>对数刻度</translation>
    </message>
    <message>
        <source>linear scale</source>
        <translation>线性刻度</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; · layer %2 (%3)</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; · 第 %2 层（%3）</translation>
    </message>
    <message>
        <source>Δ over tokens %1..%2 — layer %3</source>
        <translation>token %1..%2 上的 Δ — 第 %3 层</translation>
    </message>
    <message>
        <source>head</source>
        <translation>头</translation>
    </message>
    <message>
        <source>channel d</source>
        <translation>通道 d</translation>
    </message>
    <message>
        <source>Δ (step size)</source>
        <translation>Δ（步长）</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; · layer %2 (%3) · token %4: mean Δ = %5</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; · 第 %2 层（%3）· token %4：平均 Δ = %5</translation>
    </message>
</context>
<context>
    <name>ExplorerWindow</name>
    <message>
        <source>StateScope — state space models and attention, byte by byte</source>
        <translation>StateScope — 逐字节观察状态空间模型与注意力</translation>
    </message>
    <message>
        <source>Open model folder…</source>
        <translation>打开模型文件夹…</translation>
    </message>
    <message>
        <source>Open any supported HuggingFace folder (Mamba, Mamba-2, Llama, Jamba) with config.json and safetensors</source>
        <translation>打开任何受支持的 HuggingFace 模型文件夹（Mamba、Mamba-2、Llama、Jamba），需含 config.json 和 safetensors</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>token %1 selected · window %2..%3 · %4 bytes</source>
        <translation>已选 token %1 · 窗口 %2..%3 · %4 字节</translation>
    </message>
    <message>
        <source> · stepping: %1 bytes to feed</source>
        <translation> · 单步中：还有 %1 字节待输入</translation>
    </message>
    <message>
        <source> · cancelled at %1 of %2 bytes</source>
        <translation> · 已在 %2 字节中的第 %1 字节处取消</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>cancelled at %p%</source>
        <translation>已在 %p% 处取消</translation>
    </message>
    <message>
        <source> · %1 s left</source>
        <translation> · 还剩 %1 秒</translation>
    </message>
    <message>
        <source> · %1 min left</source>
        <translation> · 还剩 %1 分钟</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>Open any file as bytes</source>
        <translation>以字节形式打开任意文件</translation>
    </message>
    <message>
        <source>Open input file…</source>
        <translation>打开输入文件…</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>data as %1…</source>
        <translation>数据导出为 %1…</translation>
    </message>
    <message>
        <source>Whole window</source>
        <translation>整个窗口</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>Show / hide</source>
        <translation>显示 / 隐藏</translation>
    </message>
    <message>
        <source>Focus on one view</source>
        <translation>聚焦单个视图</translation>
    </message>
    <message>
        <source>Give the %1 view the whole window (Esc: back)</source>
        <translation>让“%1”视图占满整个窗口（Esc：返回）</translation>
    </message>
    <message>
        <source>Back to all views</source>
        <translation>返回全部视图</translation>
    </message>
    <message>
        <source>Layout</source>
        <translation>布局</translation>
    </message>
    <message>
        <source>Default for this window size</source>
        <translation>适合当前窗口大小的默认布局</translation>
    </message>
    <message>
        <source>Wide (views side by side)</source>
        <translation>宽屏（视图并排）</translation>
    </message>
    <message>
        <source>Compact (views as tabs)</source>
        <translation>紧凑（视图为标签页）</translation>
    </message>
    <message>
        <source>Zoom in</source>
        <translation>放大</translation>
    </message>
    <message>
        <source>Zoom out</source>
        <translation>缩小</translation>
    </message>
    <message>
        <source>Actual size</source>
        <translation>实际大小</translation>
    </message>
    <message>
        <source>Dark theme</source>
        <translation>深色主题</translation>
    </message>
    <message>
        <source>Stepping</source>
        <translation>单步</translation>
    </message>
    <message>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <source>Feed the text byte by byte from the selected token: each byte runs the recurrent step</source>
        <translation>从所选 token 起逐字节输入文本：每个字节执行一次循环步</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>单步</translation>
    </message>
    <message>
        <source>Feed one more byte</source>
        <translation>再输入一个字节</translation>
    </message>
    <message>
        <source>Whole text</source>
        <translation>整段文本</translation>
    </message>
    <message>
        <source>Leave stepping: back to the whole text</source>
        <translation>退出单步：回到整段文本</translation>
    </message>
    <message>
        <source>Bytes per second</source>
        <translation>每秒字节数</translation>
    </message>
    <message>
        <source> speed </source>
        <translation> 速度 </translation>
    </message>
    <message>
        <source>%1 B/s</source>
        <translation>%1 字节/秒</translation>
    </message>
    <message>
        <source>Light / dark</source>
        <translation>浅色 / 深色</translation>
    </message>
    <message>
        <source>models from %1</source>
        <translation>模型来自 %1</translation>
    </message>
    <message>
        <source> · not loaded: %1</source>
        <translation> · 未加载：%1</translation>
    </message>
    <message>
        <source>Open a HuggingFace model folder</source>
        <translation>打开 HuggingFace 模型文件夹</translation>
    </message>
    <message>
        <source>Cannot open the model</source>
        <translation>无法打开模型</translation>
    </message>
    <message>
        <source>wrote %1</source>
        <translation>已写入 %1</translation>
    </message>
    <message>
        <source>token %1 selected (byte %2) · window bytes %3..%4 · %5 bytes</source>
        <translation>已选 token %1（字节 %2）· 窗口字节 %3..%4 · %5 字节</translation>
    </message>
</context>
<context>
    <name>Heatmap</name>
    <message>
        <source>no data</source>
        <translation>没有数据</translation>
    </message>
    <message>
        <source> · 99% range</source>
        <translation> · 99% 范围</translation>
    </message>
    <message>
        <source> ÷ column max</source>
        <translation> ÷ 列最大值</translation>
    </message>
</context>
<context>
    <name>HelpBadge</name>
    <message>
        <source>? explain</source>
        <translation>? 说明</translation>
    </message>
</context>
<context>
    <name>HelpPanel</name>
    <message>
        <source>Look for: the SSM state keeps its size at every token while its values change; an attention layer&apos;s picture gets one column wider per token.</source>
        <translation>看点：SSM 状态在每个 token 处大小不变而数值在变；注意力层的图每个 token 宽一列。</translation>
    </message>
    <message>
        <source>Look for: bright rows (large Δ) where the input matters, e.g. spaces, digits, word starts; dark rows where the state passes through unchanged.</source>
        <translation>看点：输入重要的地方（如空格、数字、词首）行是亮的（Δ 大）；状态原样通过的地方行是暗的。</translation>
    </message>
    <message>
        <source>Look for: everything above the diagonal is zero (causal); drag a block strictly below the diagonal: its rank is at most N for an SSM.</source>
        <translation>看点：对角线以上全为零（因果性）；拖选一个完全在对角线以下的块：对 SSM 来说它的秩至多为 N。</translation>
    </message>
    <message>
        <source>Look for: flat lines (SSM state) against rising lines (KV cache); the hybrid in between.</source>
        <translation>看点：平的线（SSM 状态）对比上升的线（KV 缓存）；混合模型介于两者之间。</translation>
    </message>
    <message>
        <source>Look for: time per token flat for an SSM, growing with length for attention.</source>
        <translation>看点：SSM 每个 token 的时间不变，注意力的随长度增长。</translation>
    </message>
    <message>
        <source>Look for: high surprisal (bright) where the text is hard to guess; in a task input, the answers the model gets right.</source>
        <translation>看点：文本难猜的地方惊奇度高（亮）；在任务输入中，看模型答对了哪些答案。</translation>
    </message>
    <message>
        <source>presentation mode on / off</source>
        <translation>打开 / 关闭演示模式</translation>
    </message>
    <message>
        <source>this help</source>
        <translation>本帮助</translation>
    </message>
    <message>
        <source>Ctrl+L</source>
        <translation>Ctrl+L</translation>
    </message>
    <message>
        <source>open a lesson</source>
        <translation>打开课程</translation>
    </message>
    <message>
        <source>Ctrl+O / Ctrl+S</source>
        <translation>Ctrl+O / Ctrl+S</translation>
    </message>
    <message>
        <source>open / save a workspace</source>
        <translation>打开 / 保存工作区</translation>
    </message>
    <message>
        <source>presentation: one token back / forward</source>
        <translation>演示：后退 / 前进一个 token</translation>
    </message>
    <message>
        <source>Space</source>
        <translation>空格</translation>
    </message>
    <message>
        <source>presentation: play / pause feeding bytes</source>
        <translation>演示：播放 / 暂停逐字节输入</translation>
    </message>
    <message>
        <source>Page Up / Page Down</source>
        <translation>Page Up / Page Down</translation>
    </message>
    <message>
        <source>presentation: previous / next lesson step (presentation clickers)</source>
        <translation>演示：上一步 / 下一步（翻页笔）</translation>
    </message>
    <message>
        <source>Esc</source>
        <translation>Esc</translation>
    </message>
    <message>
        <source>leave presentation mode</source>
        <translation>退出演示模式</translation>
    </message>
    <message>
        <source>click / shift-click a token</source>
        <translation>单击 / Shift+单击 token</translation>
    </message>
    <message>
        <source>select a token / a window of tokens</source>
        <translation>选择一个 token / 一段 token 窗口</translation>
    </message>
    <message>
        <source>&lt;h3&gt;The views&lt;/h3&gt;</source>
        <translation>&lt;h3&gt;视图&lt;/h3&gt;</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Keyboard&lt;/h3&gt;&lt;table cellpadding=&apos;3&apos;&gt;</source>
        <translation>&lt;h3&gt;键盘&lt;/h3&gt;&lt;table cellpadding=&apos;3&apos;&gt;</translation>
    </message>
</context>
<context>
    <name>HiddenStatePanel</name>
    <message>
        <source>Hidden state</source>
        <translation>隐藏状态</translation>
    </message>
    <message>
        <source>token t</source>
        <translation>token t</translation>
    </message>
    <message>
        <source>channel </source>
        <translation>通道 </translation>
    </message>
    <message>
        <source>The fixed-size memory of an SSM layer after reading tokens 0..t. Mamba-1: h_t = exp(Δ_t A) ∘ h_{t-1} + (Δ_t x_t) B_t&lt;sup&gt;T&lt;/sup&gt;, one row of N state dims per channel (the heatmap: state dim × channel, blue negative, red positive). Its size never grows with the text. The chart follows ‖h_t‖ and the picked channel&apos;s ‖h_t[c]‖ across the window. For an attention layer the memory is the KV cache instead: the key vectors k_j of every past position j ≤ t (key dim × position), one column more per token.</source>
        <translation>SSM 层读完 token 0..t 后的固定大小记忆。Mamba-1：h_t = exp(Δ_t A) ∘ h_{t-1} + (Δ_t x_t) B_t&lt;sup&gt;T&lt;/sup&gt;，每个通道一行 N 个状态维度（热图：状态维度 × 通道，蓝为负，红为正）。它的大小从不随文本增长。曲线跟踪窗口内的 ‖h_t‖ 和所选通道的 ‖h_t[c]‖。对注意力层，记忆则是键值缓存：每个过去位置 j ≤ t 的键向量 k_j（键维度 × 位置），每个 token 多一列。</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; · layer %2: %3</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; · 第 %2 层：%3</translation>
    </message>
    <message>
        <source>h_t after token %1 — %2, layer %3</source>
        <translation>token %1 之后的 h_t — %2，第 %3 层</translation>
    </message>
    <message>
        <source>state dim n</source>
        <translation>状态维度 n</translation>
    </message>
    <message>
        <source>head · head dim</source>
        <translation>头 · 头维度</translation>
    </message>
    <message>
        <source>channel d</source>
        <translation>通道 d</translation>
    </message>
    <message>
        <source>h value</source>
        <translation>h 值</translation>
    </message>
    <message>
        <source>head </source>
        <translation>头 </translation>
    </message>
    <message>
        <source>‖h_t‖ (layer)</source>
        <translation>‖h_t‖（整层）</translation>
    </message>
    <message>
        <source>‖h_t‖ head %1</source>
        <translation>‖h_t‖ 头 %1</translation>
    </message>
    <message>
        <source>‖h_t[%1]‖ channel %1</source>
        <translation>‖h_t[%1]‖ 通道 %1</translation>
    </message>
    <message>
        <source>‖h_t‖</source>
        <translation>‖h_t‖</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; · layer %2 (%3) · token %4 · state %5 values, fixed whatever the length</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; · 第 %2 层（%3）· token %4 · 状态 %5 个值，与长度无关</translation>
    </message>
    <message>
        <source>KV cache keys at t = %1 — %2, layer %3, KV head %4</source>
        <translation>t = %1 时键值缓存中的键 — %2，第 %3 层，KV 头 %4</translation>
    </message>
    <message>
        <source>key dim</source>
        <translation>键维度</translation>
    </message>
    <message>
        <source>position j</source>
        <translation>位置 j</translation>
    </message>
    <message>
        <source>k value</source>
        <translation>k 值</translation>
    </message>
    <message>
        <source>layer KV cache (+%1 bytes per token)</source>
        <translation>本层键值缓存（每个 token +%1 字节）</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt; · layer %2 (attention) · token %3 · the cache holds %4 positions</source>
        <translation>&lt;b&gt;%1&lt;/b&gt; · 第 %2 层（注意力）· token %3 · 缓存中有 %4 个位置</translation>
    </message>
</context>
<context>
    <name>InputEditor</name>
    <message>
        <source>Type here: every byte you type is a token the models read</source>
        <translation>在此输入：你输入的每个字节都是模型读取的一个 token</translation>
    </message>
    <message>
        <source>Text (UTF-8)</source>
        <translation>文本 (UTF-8)</translation>
    </message>
    <message>
        <source>Hex bytes</source>
        <translation>十六进制字节</translation>
    </message>
    <message>
        <source>Open file…</source>
        <translation>打开文件…</translation>
    </message>
    <message>
        <source>%1 bytes</source>
        <translation>%1 字节</translation>
    </message>
    <message>
        <source>Open any file as bytes</source>
        <translation>以字节形式打开任意文件</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not a hex byte</source>
        <translation>“%1”不是十六进制字节</translation>
    </message>
    <message>
        <source>cannot open: %1</source>
        <translation>无法打开：%1</translation>
    </message>
</context>
<context>
    <name>LayerScheduleStrip</name>
    <message>
        <source>KV↗</source>
        <translation>KV↗</translation>
    </message>
    <message>
        <source>KV↗+state</source>
        <translation>KV↗+状态</translation>
    </message>
    <message>
        <source>state</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Half orange, half blue (A∥M2): attention and Mamba-2 side by side on the same input, their outputs added (Falcon-H1): the layer carries a state and a KV cache.</source>
        <translation>半橙半蓝（A∥M2）：注意力与 Mamba-2 并列，读同一输入，输出相加（Falcon-H1）：该层同时携带状态和 KV 缓存。</translation>
    </message>
    <message>
        <source>state+KV↗</source>
        <translation>状态+KV↗</translation>
    </message>
    <message>
        <source>The model&apos;s layers, bottom to top. Green: Mamba (a fixed state), blue: Mamba-2 (a fixed state), orange: attention (a KV cache that grows by one position per token), grey: a feed-forward layer that mixes no tokens (Nemotron-H&apos;s MLP layers, nothing carried); a bar under a layer: a mixture-of-experts feed-forward. Click a layer to show it.</source>
        <translation>模型的各层，自下而上。绿色：Mamba（固定状态），蓝色：Mamba-2（固定状态），橙色：注意力（键值缓存每个 token 增加一个位置），灰色：不在 token 之间混合信息的前馈层（Nemotron-H 的 MLP 层，不携带任何状态）；层下方的横条：混合专家（MoE）前馈层。单击某层即可显示它。</translation>
    </message>
    <message>
        <source>S0+M2 (Zamba2): the layer first runs shared transformer block 0 (attention + MLP whose weights several layers share; this layer&apos;s own KV cache), then its own Mamba-2.</source>
        <translation>S0+M2（Zamba2）：该层先运行共享 Transformer 块 0（注意力 + MLP，其权重由多个层共享；本层有自己的键值缓存），再运行本层自己的 Mamba-2。</translation>
    </message>
</context>
<context>
    <name>LessonCard</name>
    <message>
        <source>◀ Previous</source>
        <translation>◀ 上一步</translation>
    </message>
    <message>
        <source>Next ▶</source>
        <translation>下一步 ▶</translation>
    </message>
    <message>
        <source>Previous step (Page Up)</source>
        <translation>上一步（Page Up）</translation>
    </message>
    <message>
        <source>Next step (Page Down)</source>
        <translation>下一步（Page Down）</translation>
    </message>
    <message>
        <source>&lt;p&gt;No lesson open (File → Open lesson…).&lt;/p&gt;</source>
        <translation>&lt;p&gt;没有打开课程（文件 → 打开课程…）。&lt;/p&gt;</translation>
    </message>
</context>
<context>
    <name>MatrixPanel</name>
    <message>
        <source>Semiseparable matrix</source>
        <translation>半可分矩阵</translation>
    </message>
    <message>
        <source>drag a block for its rank · click a cell for its terms</source>
        <translation>拖选一个块查看其秩 · 单击一个单元格查看其各项</translation>
    </message>
    <message>
        <source>linear scale</source>
        <translation>线性刻度</translation>
    </message>
    <message>
        <source>|M| log scale</source>
        <translation>|M| 对数刻度</translation>
    </message>
    <message>
        <source>Every layer that mixes tokens is a matrix over the sequence: y = M x. For a selective SSM, M[i, j] = C_i&lt;sup&gt;T&lt;/sup&gt; B_j · exp(A(Δ_{j+1} + … + Δ_i)) · Δ_j for j ≤ i and 0 above the diagonal (Mamba-1: per channel; Mamba-2: per head, M = L ∘ (C B&lt;sup&gt;T&lt;/sup&gt;) with the decay mask L). It is semiseparable: every block strictly below the diagonal has rank ≤ N, the state size — that is why a fixed state suffices. Its entries can be negative (diverging colours, blue &lt; 0 &lt; red). An attention layer&apos;s matrix is softmax(q_i·k_j/√d) (sequential colours, dark 0 to yellow): non-negative rows that sum to 1, and its blocks can have full rank. Drag a block to compute its rank; click a cell to see its terms.</source>
        <translation>每个在 token 之间混合信息的层都是序列上的一个矩阵：y = M x。对选择性 SSM，当 j ≤ i 时 M[i, j] = C_i&lt;sup&gt;T&lt;/sup&gt; B_j · exp(A(Δ_{j+1} + … + Δ_i)) · Δ_j，对角线以上为 0（Mamba-1：每个通道一个；Mamba-2：每个头一个，M = L ∘ (C B&lt;sup&gt;T&lt;/sup&gt;)，L 为衰减掩码）。它是半可分矩阵：严格位于对角线以下的每个块的秩 ≤ N，即状态大小——这正是固定大小的状态就足够的原因。它的元素可以为负（发散色，蓝 &lt; 0 &lt; 红）。注意力层的矩阵是 softmax(q_i·k_j/√d)（顺序色，从暗的 0 到黄色）：各行非负且和为 1，其块可以是满秩。拖选一个块计算它的秩；单击一个单元格查看它的各项。</translation>
    </message>
    <message>
        <source>attention probs, head %1</source>
        <translation>注意力概率，头 %1</translation>
    </message>
    <message>
        <source>M, channel %1</source>
        <translation>M，通道 %1</translation>
    </message>
    <message>
        <source>M, head %1</source>
        <translation>M，头 %1</translation>
    </message>
    <message>
        <source>%1 · L%2 · %3</source>
        <translation>%1 · L%2 · %3</translation>
    </message>
    <message>
        <source>query i</source>
        <translation>查询 i</translation>
    </message>
    <message>
        <source>output i</source>
        <translation>输出 i</translation>
    </message>
    <message>
        <source>key j</source>
        <translation>键 j</translation>
    </message>
    <message>
        <source>input j</source>
        <translation>输入 j</translation>
    </message>
    <message>
        <source>probability</source>
        <translation>概率</translation>
    </message>
    <message>
        <source>M[i, j]</source>
        <translation>M[i, j]</translation>
    </message>
    <message>
        <source>window %1..%2 (%3 tokens) · row %4 is the selected token</source>
        <translation>窗口 %1..%2（%3 个 token）· 第 %4 行是所选 token</translation>
    </message>
    <message>
        <source>&lt;br&gt;terms over n: </source>
        <translation>&lt;br&gt;各 n 上的项：</translation>
    </message>
    <message>
        <source> (≤ N = %1: semiseparable)</source>
        <translation>（≤ N = %1：半可分）</translation>
    </message>
    <message>
        <source> (touches the diagonal: the bound ≤ N holds only strictly below it)</source>
        <translation>（触及对角线：≤ N 的界只在严格位于对角线以下时成立）</translation>
    </message>
    <message>
        <source>&lt;b&gt;block rows %1..%2 × cols %3..%4&lt;/b&gt; (%5×%6): numerical rank &lt;b&gt;%7&lt;/b&gt;%8 · σ: %9</source>
        <translation>&lt;b&gt;块：行 %1..%2 × 列 %3..%4&lt;/b&gt;（%5×%6）：数值秩 &lt;b&gt;%7&lt;/b&gt;%8 · 奇异值 σ：%9</translation>
    </message>
    <message>
        <source> · scan vs M·x: max |diff| %1</source>
        <translation> · 扫描与 M·x 最大差 %1</translation>
    </message>
    <message>
        <source>%1: the largest |y_scan − (M x + carry)| over the window, where y_scan = C_i · h_i from the states the model&apos;s own scan recorded and the carry is the state entering the window; the outputs reach %2. Computed by the session for the active model.</source>
        <translation>%1：窗口内 |y_scan − (M x + carry)| 的最大值，其中 y_scan = C_i · h_i 由模型自身扫描记录下的状态算出，carry 是进入窗口时的状态所贡献的部分；输出的最大值为 %2。由会话为当前模型计算。</translation>
    </message>
</context>
<context>
    <name>MemoryPanel</name>
    <message>
        <source>Memory</source>
        <translation>内存</translation>
    </message>
    <message>
        <source>fp16/bf16: 2 B</source>
        <translation>fp16/bf16：2 字节</translation>
    </message>
    <message>
        <source>fp32: 4 B</source>
        <translation>fp32：4 字节</translation>
    </message>
    <message>
        <source>int8: 1 B</source>
        <translation>int8：1 字节</translation>
    </message>
    <message>
        <source>Bytes per value in the table of published models</source>
        <translation>已发布模型表中每个数值所占字节数</translation>
    </message>
    <message>
        <source>KV = 2 · layers · kv_heads · head_dim · T · bytes</source>
        <translation>KV = 2 · 层数 · KV 头数 · 头维度 · T · 字节数</translation>
    </message>
    <message>
        <source>How much a model must keep in memory to continue the text after T tokens. An attention layer keeps the key and value of every past token: KV bytes = 2 · layers · kv_heads · head_dim · T · bytes per value, growing without bound. An SSM layer keeps a fixed state (Mamba-1: d_inner · (N + conv − 1) values), the same at token 10 and at token 1 000 000. Chart: each loaded model&apos;s state + KV cache in bytes (fp32, as the engine holds them), measured after every position; dots: the live cache tensors. Table: the formula applied to published configurations.</source>
        <translation>读完 T 个 token 后，模型为继续生成文本必须保存在内存中的数据量。注意力层保存每个过去 token 的键和值：KV 字节数 = 2 · 层数 · KV 头数 · 头维度 · T · 每个值的字节数，无限增长。SSM 层保存固定大小的状态（Mamba-1：d_inner · (N + conv − 1) 个值），在第 10 个 token 和第 1 000 000 个 token 处都一样。图表：每个已加载模型的状态 + 键值缓存字节数（fp32，即引擎中的存储方式），在每个位置之后测量；圆点：实际存在的缓存张量。表格：把该公式应用于已发布的模型配置。</translation>
    </message>
    <message>
        <source>model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>4K</source>
        <translation>4K</translation>
    </message>
    <message>
        <source>128K</source>
        <translation>128K</translation>
    </message>
    <message>
        <source>1M</source>
        <translation>1M</translation>
    </message>
    <message>
        <source>tokens read t</source>
        <translation>已读 token 数 t</translation>
    </message>
    <message>
        <source>KB</source>
        <translation>KB</translation>
    </message>
    <message>
        <source>State + KV cache</source>
        <translation>状态 + 键值缓存</translation>
    </message>
</context>
<context>
    <name>ModelColumn</name>
    <message>
        <source>attention</source>
        <translation>注意力</translation>
    </message>
    <message>
        <source>This model&apos;s colour in every chart</source>
        <translation>该模型在所有图表中的颜色</translation>
    </message>
    <message>
        <source>Close this model</source>
        <translation>关闭这个模型</translation>
    </message>
    <message>
        <source>%1, %2 layers; the backend that runs it; its fixed state; the KV cache it adds per token</source>
        <translation>%1，%2 层；运行它的后端；它的固定状态；每个 token 增加的键值缓存</translation>
    </message>
    <message>
        <source>%3 · &lt;b&gt;%4&lt;/b&gt; · state %5 · KV %6/tok</source>
        <translation>%3 · &lt;b&gt;%4&lt;/b&gt; · 状态 %5 · KV %6/token</translation>
    </message>
    <message>
        <source>layer </source>
        <translation>层 </translation>
    </message>
    <message>
        <source>channel </source>
        <translation>通道 </translation>
    </message>
    <message>
        <source>head </source>
        <translation>头 </translation>
    </message>
    <message>
        <source> · &lt;b&gt;tokens&lt;/b&gt;</source>
        <translation> · &lt;b&gt;token&lt;/b&gt;</translation>
    </message>
    <message>
        <source>
Tokenizer: %1. Its views count this tokenizer&apos;s tokens, not bytes.</source>
        <translation>
分词器：%1。它的视图按这个分词器的 token 计数，而不是按字节。</translation>
    </message>
    <message>
        <source>Δ → average (time-invariant)</source>
        <translation>Δ → 平均（时不变）</translation>
    </message>
    <message>
        <source>Replace every SSM layer&apos;s Δ by its mean over the text: a time-invariant SSM.
The column then shows an intervened model, not the trained one: compare its
prediction and surprisal with the real model&apos;s to see what selectivity buys.</source>
        <translation>把每个 SSM 层的 Δ 换成它在文本上的平均值：一个时不变 SSM。
这一列于是显示被干预的模型，而不是训练好的模型：把它的
预测和惊奇度与真实模型比较，就能看到选择性带来了什么。</translation>
    </message>
    <message>
        <source>&lt;b&gt;⚠ Intervened: Δ averaged over the text.&lt;/b&gt; Not the trained model.</source>
        <translation>&lt;b&gt;⚠ 已干预：Δ 取了全文平均。&lt;/b&gt;这不是训练好的模型。</translation>
    </message>
    <message>
        <source>Mamba-2</source>
        <translation>Mamba-2</translation>
    </message>
    <message>
        <source>This layer runs attention and a Mamba-2 side by side on the same input and adds their outputs.
Mamba-2: the state and matrix views show its SSM (state h_t, M); attention: its KV cache and
probabilities. The Δ view always shows the Mamba-2.</source>
        <translation>该层让注意力与 Mamba-2 并列读同一输入，并把两者的输出相加。
Mamba-2：状态和矩阵视图显示其 SSM（状态 h_t、M）；注意力：显示其 KV 缓存和
概率。Δ 视图始终显示 Mamba-2。</translation>
    </message>
    <message>
        <source>This Zamba2 layer first runs a shared transformer block (attention + MLP whose weights several layers share; this layer keeps its own KV cache), then its own Mamba-2.
Mamba-2: the state and matrix views show its SSM (state h_t, M); attention: the shared
attention&apos;s KV cache and probabilities. The Δ view always shows the Mamba-2.</source>
        <translation>这个 Zamba2 层先运行一个共享 Transformer 块（注意力 + MLP，其权重由多个层共享；本层保留自己的键值缓存），再运行本层自己的 Mamba-2。
Mamba-2：状态和矩阵视图显示其 SSM（状态 h_t、M）；注意力：显示共享注意力的
KV 缓存和概率。Δ 视图始终显示 Mamba-2。</translation>
    </message>
</context>
<context>
    <name>Panel</name>
    <message>
        <source>computing…</source>
        <translation>计算中…</translation>
    </message>
    <message>
        <source>older result: cancelled at %1 of %2 bytes (Resume continues)</source>
        <translation>旧结果：已在 %2 字节中的第 %1 字节处取消（“继续”可接着算）</translation>
    </message>
    <message>
        <source>older result: computing the new text…</source>
        <translation>旧结果：正在计算新文本…</translation>
    </message>
</context>
<context>
    <name>PredictionPanel</name>
    <message>
        <source>Prediction</source>
        <translation>预测</translation>
    </message>
    <message>
        <source>What the model expects next. After reading bytes 0..t it outputs a probability for each of the 256 possible next bytes, p = softmax(logits); the bars show the %1 most likely, the byte that actually follows in the text colour (black; white on the dark theme). The text is coloured by surprisal, −log&lt;sub&gt;2&lt;/sub&gt; p(byte | all bytes before) in bits: dark = expected, bright = surprising (8 bits = a uniform guess among 256 bytes).</source>
        <translation>模型预期接下来出现什么。读完字节 0..t 后，它为 256 个可能的下一个字节各输出一个概率，p = softmax(logits)；柱状图显示最可能的 %1 个，实际紧随其后的字节用文字颜色显示（黑色；深色主题下为白色）。文本按惊奇度着色，即 −log&lt;sub&gt;2&lt;/sub&gt; p(字节 | 之前所有字节)，单位为比特：暗 = 意料之中，亮 = 出乎意料（8 比特 = 在 256 个字节中均匀瞎猜）。</translation>
    </message>
    <message>
        <source>p(next byte)</source>
        <translation>p(下一个字节)</translation>
    </message>
    <message>
        <source>the byte that follows</source>
        <translation>实际的下一个字节</translation>
    </message>
    <message>
        <source>probability</source>
        <translation>概率</translation>
    </message>
    <message>
        <source>next byte (top %1)</source>
        <translation>下一个字节（前 %1 个）</translation>
    </message>
    <message>
        <source>p(next byte), %1</source>
        <translation>p(下一个字节)，%1</translation>
    </message>
    <message>
        <source>Next byte after %1 (token %2)</source>
        <translation>%1 之后的下一个字节（token %2）</translation>
    </message>
    <message>
        <source>surprisal (bits)</source>
        <translation>惊奇度（比特）</translation>
    </message>
    <message>
        <source>&lt;b&gt;%1&lt;/b&gt;</source>
        <translation>&lt;b&gt;%1&lt;/b&gt;</translation>
    </message>
    <message>
        <source> · next byte %1: p = %2, %3 bits</source>
        <translation> · 下一个字节 %1：p = %2，%3 比特</translation>
    </message>
    <message>
        <source> · text: %1 bits/byte</source>
        <translation> · 文本：%1 比特/字节</translation>
    </message>
    <message>
        <source>next token (top %1)</source>
        <translation>下一个 token（前 %1 个）</translation>
    </message>
    <message>
        <source>p(next token), %1</source>
        <translation>p(下一个 token)，%1</translation>
    </message>
    <message>
        <source>Next token after %1 (token %2, id %3)</source>
        <translation>%1 之后的下一个 token（token %2，id %3）</translation>
    </message>
    <message>
        <source> · next token %1 (id %2): p = %3, %4 bits</source>
        <translation> · 下一个 token %1（id %2）：p = %3，%4 比特</translation>
    </message>
    <message>
        <source> · text: %1 bits/token, %2 bits/byte</source>
        <translation> · 文本：%1 比特/token，%2 比特/字节</translation>
    </message>
    <message>
        <source> · text bytes (junk not counted): %1 bits/byte over %2</source>
        <translation> · 文字字节（不计垃圾字节）：%2 个字节上 %1 比特/字节</translation>
    </message>
    <message>
        <source> · the %1 bytes the task scores: %2 bits/byte</source>
        <translation> · 任务计分的 %1 个字节：%2 比特/字节</translation>
    </message>
</context>
<context>
    <name>QObject</name>
    <message>
        <source>cannot encode %1 as PNG</source>
        <translation>无法将 %1 编码为 PNG</translation>
    </message>
    <message>
        <source>cannot draw %1 as PDF</source>
        <translation>无法将 %1 绘制为 PDF</translation>
    </message>
    <message>
        <source>cannot draw %1 as SVG</source>
        <translation>无法将 %1 绘制为 SVG</translation>
    </message>
    <message>
        <source>cannot write %1 (%2)</source>
        <translation>无法写入 %1（%2）</translation>
    </message>
    <message>
        <source>cannot write %1 (%2); the file was left as it was</source>
        <translation>无法写入 %1（%2）；原文件保持不变</translation>
    </message>
    <message>
        <source>GB</source>
        <translation>GB</translation>
    </message>
    <message>
        <source>MB</source>
        <translation>MB</translation>
    </message>
    <message>
        <source>KB</source>
        <translation>KB</translation>
    </message>
    <message>
        <source>the widget has no size</source>
        <translation>该部件没有尺寸</translation>
    </message>
    <message>
        <source>StateScope figure</source>
        <translation>StateScope 图</translation>
    </message>
    <message>
        <source>unknown figure format &apos;%1&apos; (png, svg or pdf)</source>
        <translation>未知的图片格式“%1”（应为 png、svg 或 pdf）</translation>
    </message>
    <message>
        <source>unknown data format &apos;%1&apos; (csv or npy)</source>
        <translation>未知的数据格式“%1”（应为 csv 或 npy）</translation>
    </message>
</context>
<context>
    <name>SessionText</name>
    <message>
        <source>no model</source>
        <translation>没有模型</translation>
    </message>
    <message>
        <source>no text</source>
        <translation>没有文本</translation>
    </message>
    <message>
        <source>not a view frame</source>
        <translation>不是视图帧</translation>
    </message>
    <message>
        <source>no matrix for this model</source>
        <translation>这个模型没有矩阵</translation>
    </message>
    <message>
        <source>measurement cancelled</source>
        <translation>测量已取消</translation>
    </message>
    <message>
        <source>no model to time</source>
        <translation>没有可计时的模型</translation>
    </message>
    <message>
        <source>the models changed since the last measurement: press Measure</source>
        <translation>自上次测量以来模型已变化：请按“测量”</translation>
    </message>
    <message>
        <source>press Measure to time every model</source>
        <translation>按“测量”为每个模型计时</translation>
    </message>
    <message>
        <source>failed to load</source>
        <translation>加载失败</translation>
    </message>
    <message>
        <source>token %1 is not computed yet (%2 of %3 bytes)</source>
        <translation>token %1 尚未计算（已算 %2 / %3 字节）</translation>
    </message>
    <message>
        <source>layer %1 is an attention layer: it has no Δ gate</source>
        <translation>第 %1 层是注意力层：它没有 Δ 门控</translation>
    </message>
    <message>
        <source>at most %1 models side by side</source>
        <translation>最多并排 %1 个模型</translation>
    </message>
    <message>
        <source>attention</source>
        <translation>注意力</translation>
    </message>
    <message>
        <source>%1 [Δ → average]</source>
        <translation>%1 [Δ → 平均]</translation>
    </message>
    <message>
        <source>attention ∥ mamba2</source>
        <translation>注意力 ∥ mamba2</translation>
    </message>
</context>
<context>
    <name>TaskGeneratorDialog</name>
    <message>
        <source>pairs per book</source>
        <translation>每本的键值对数</translation>
    </message>
    <message>
        <source>key-value pairs in each book: a key is a letter (at most 52), a value a digit</source>
        <translation>每本电话簿中的键值对：键是一个字母（最多 52 个），值是一个数字</translation>
    </message>
    <message>
        <source>chance of a run of junk bytes after each byte of the text</source>
        <translation>文本每个字节之后出现一串垃圾字节的概率</translation>
    </message>
    <message>
        <source>junk rate p</source>
        <translation>垃圾比例 p</translation>
    </message>
    <message>
        <source>longest junk run</source>
        <translation>最长垃圾串</translation>
    </message>
    <message>
        <source>a run is 1..this many junk bytes (control bytes 0x01-0x08, 0x0E-0x1F)</source>
        <translation>每串有 1 到这么多个垃圾字节（控制字节 0x01-0x08、0x0E-0x1F）</translation>
    </message>
    <message>
        <source>letters to copy</source>
        <translation>要复制的字母数</translation>
    </message>
    <message>
        <source>letters scattered among the dots, copied after &apos;|&apos;</source>
        <translation>散布在点之间的字母，在 &apos;|&apos; 之后复制</translation>
    </message>
    <message>
        <source>field length</source>
        <translation>区域长度</translation>
    </message>
    <message>
        <source>dots and letters before &apos;|&apos;</source>
        <translation>&apos;|&apos; 之前的点和字母</translation>
    </message>
    <message>
        <source>segment length</source>
        <translation>片段长度</translation>
    </message>
    <message>
        <source>random letters and digits, written twice</source>
        <translation>随机字母和数字，写两遍</translation>
    </message>
    <message>
        <source>examples</source>
        <translation>样例数</translation>
    </message>
    <message>
        <source>examples one after the other. The task models were trained on one example per sequence: after the first, a model reads out of its training distribution</source>
        <translation>样例一个接一个。任务模型训练时每个序列只有一个样例：从第二个开始，模型读到的就超出了它的训练分布</translation>
    </message>
    <message>
        <source>seed</source>
        <translation>随机种子</translation>
    </message>
    <message>
        <source>the same seed makes the same bytes</source>
        <translation>同样的种子生成同样的字节</translation>
    </message>
    <message>
        <source>Insert</source>
        <translation>插入</translation>
    </message>
    <message>
        <source>Phone book (multi-query associative recall)</source>
        <translation>电话簿（多查询关联回忆）</translation>
    </message>
    <message>
        <source>Noise padding</source>
        <translation>噪声填充</translation>
    </message>
    <message>
        <source>Selective copying</source>
        <translation>选择性复制</translation>
    </message>
    <message>
        <source>Repeated random text (induction)</source>
        <translation>重复的随机文本（归纳）</translation>
    </message>
    <message>
        <source>A book of letter-digit pairs, &apos;|&apos;, then every letter again followed by its digit: &quot;Q4 b7 K0|b7 K0 Q4&quot;. Scored: the digit after each query letter. The format the mqar-* models were trained on.</source>
        <translation>由字母-数字对组成的电话簿，然后是 &apos;|&apos;，再把每个字母连同它的数字写一遍：&quot;Q4 b7 K0|b7 K0 Q4&quot;。计分：每个查询字母后的数字。这是 mqar-* 模型训练时的格式。</translation>
    </message>
    <message>
        <source>The current text with runs of junk control bytes inserted after some bytes. Scored: predictions of text bytes only. The format the noise-* models were trained on.</source>
        <translation>当前文本，在一些字节之后插入成串的垃圾控制字节。计分：只计文字字节的预测。这是 noise-* 模型训练时的格式。</translation>
    </message>
    <message>
        <source>Letters scattered among dots, then &apos;|&apos; and the letters in order: &quot;..k...b..x..|kbx&quot;. Scored: the copied letters.</source>
        <translation>散布在点之间的字母，然后是 &apos;|&apos; 和按顺序排列的这些字母：&quot;..k...b..x..|kbx&quot;。计分：复制出的字母。</translation>
    </message>
    <message>
        <source>A random segment written twice. An induction head predicts the second copy from the first. Scored: the second copy but its first byte.</source>
        <translation>一段随机文本写两遍。归纳头根据第一遍预测第二遍。计分：第二遍中除第一个字节以外的字节。</translation>
    </message>
    <message>
        <source>%1 bytes, %2 scored positions:
%3%4</source>
        <translation>%1 个字节，%2 个计分位置：
%3%4</translation>
    </message>
</context>
<context>
    <name>TaskNotes</name>
    <message>
        <source>Make an input for this model</source>
        <translation>为这个模型生成输入</translation>
    </message>
    <message>
        <source>Replace the text by fresh examples of the task the active model was trained on</source>
        <translation>用当前模型所训练任务的新样例替换文本</translation>
    </message>
    <message>
        <source>%1: cannot read</source>
        <translation>%1：无法读取</translation>
    </message>
    <message>
        <source>%1: not valid JSON (%2)</source>
        <translation>%1：不是有效的 JSON（%2）</translation>
    </message>
    <message>
        <source>%1: task: unknown task &quot;%2&quot;</source>
        <translation>%1：task：未知任务 &quot;%2&quot;</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;%1&lt;/b&gt;: a language model (no task.json): any text.&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;%1&lt;/b&gt;：语言模型（没有 task.json）：任何文本都可以。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;%1&lt;/b&gt;: ⚠ %2&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;%1&lt;/b&gt;：⚠ %2&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;%1&lt;/b&gt; was trained on the &lt;b&gt;%2&lt;/b&gt; task.&lt;br&gt;Input it expects: %3</source>
        <translation>&lt;p&gt;&lt;b&gt;%1&lt;/b&gt; 是在&lt;b&gt;%2&lt;/b&gt;任务上训练的。&lt;br&gt;它期望的输入：%3</translation>
    </message>
    <message>
        <source>phone book (recall)</source>
        <translation>电话簿（回忆）</translation>
    </message>
    <message>
        <source>noise padding</source>
        <translation>噪声填充</translation>
    </message>
    <message>
        <source>&lt;br&gt;Example: &lt;code&gt;%1&lt;/code&gt;</source>
        <translation>&lt;br&gt;示例：&lt;code&gt;%1&lt;/code&gt;</translation>
    </message>
    <message>
        <source>%1 pairs: %2</source>
        <translation>%1 对：%2</translation>
    </message>
    <message>
        <source>&lt;br&gt;Measured accuracy after training: %1</source>
        <translation>&lt;br&gt;训练后测得的准确率：%1</translation>
    </message>
    <message>
        <source>&lt;br&gt;&lt;span style=&apos;color:#d55e00&apos;&gt;&lt;b&gt;⚠ This model never learned recall&lt;/b&gt;: its accuracy stays near what knowing only which digits occur gives. A failure of its training, not a property of its architecture.&lt;/span&gt;</source>
        <translation>&lt;br&gt;&lt;span style=&apos;color:#d55e00&apos;&gt;&lt;b&gt;⚠ 这个模型从未学会回忆&lt;/b&gt;：它的准确率停留在只知道出现过哪些数字时能达到的水平。这是训练的失败，不是其架构的性质。&lt;/span&gt;</translation>
    </message>
    <message>
        <source>&lt;br&gt;Measured after training: %1 bits/byte on clean text, %2 on padded text (text bytes only).</source>
        <translation>&lt;br&gt;训练后测得：干净文本 %1 比特/字节，填充文本 %2 比特/字节（只计文字字节）。</translation>
    </message>
    <message>
        <source>&lt;br&gt;&lt;i&gt;The current text is not in this format: nothing to score. Use “Make an input”.&lt;/i&gt;</source>
        <translation>&lt;br&gt;&lt;i&gt;当前文本不是这种格式：没有可计分的内容。请用“生成输入”。&lt;/i&gt;</translation>
    </message>
    <message>
        <source>&lt;br&gt;On this text: &lt;b&gt;%1 bits/byte&lt;/b&gt; over %2 text bytes (junk not counted).</source>
        <translation>&lt;br&gt;在这段文本上：&lt;b&gt;%1 比特/字节&lt;/b&gt;，共 %2 个文字字节（不计垃圾）。</translation>
    </message>
    <message>
        <source>&lt;br&gt;On this text: &lt;b&gt;accuracy %1&lt;/b&gt; over %2 answers.</source>
        <translation>&lt;br&gt;在这段文本上：&lt;b&gt;准确率 %1&lt;/b&gt;，共 %2 个答案。</translation>
    </message>
    <message>
        <source>selective copying</source>
        <translation>选择性复制</translation>
    </message>
    <message>
        <source>&lt;br&gt;Measured after training: %1 of the copied letters right.</source>
        <translation>&lt;br&gt;训练后实测：复制的字母中 %1 正确。</translation>
    </message>
</context>
<context>
    <name>TokenStrip</name>
    <message>
        <source>Every byte of the input is one token. Top: the character it belongs to; bottom: the byte in hex. A character of several UTF-8 bytes (é, 状, emoji) spans its 2-4 cells. Click or use the arrow keys to select a token; shift-click or shift-arrows to select a window.</source>
        <translation>输入的每个字节都是一个 token。上方：它所属的字符；下方：该字节的十六进制值。由多个 UTF-8 字节组成的字符（é、状、表情符号）横跨 2 到 4 个格子。单击或用方向键选择一个 token；Shift+单击或 Shift+方向键选择一个窗口。</translation>
    </message>
    <message>
        <source>type or open some text: every byte becomes a token</source>
        <translation>输入或打开一段文本：每个字节都会成为一个 token</translation>
    </message>
    <message>
        <source>token %1: byte 0x%2 (%3)</source>
        <translation>token %1：字节 0x%2（%3）</translation>
    </message>
    <message>
        <source>
byte %1 of %2 of the character %3</source>
        <translation>
字符 %3 的第 %1 / %2 个字节</translation>
    </message>
    <message>
        <source>token %1: id %2, %3 (bytes %4..%5)</source>
        <translation>token %1：id %2，%3（字节 %4..%5）</translation>
    </message>
</context>
</TS>
