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
    <name>HelpPanel</name>
    <message>
        <source>Look for: the SSM state keeps its size at every token while its values change; an attention layer's picture gets one column wider per token.</source>
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
        <source>&lt;h3&gt;Keyboard&lt;/h3&gt;&lt;table cellpadding='3'&gt;</source>
        <translation>&lt;h3&gt;键盘&lt;/h3&gt;&lt;table cellpadding='3'&gt;</translation>
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
        <source>letters scattered among the dots, copied after '|'</source>
        <translation>散布在点之间的字母，在 '|' 之后复制</translation>
    </message>
    <message>
        <source>field length</source>
        <translation>区域长度</translation>
    </message>
    <message>
        <source>dots and letters before '|'</source>
        <translation>'|' 之前的点和字母</translation>
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
        <source>A book of letter-digit pairs, '|', then every letter again followed by its digit: "Q4 b7 K0|b7 K0 Q4". Scored: the digit after each query letter. The format the mqar-* models were trained on.</source>
        <translation>由字母-数字对组成的电话簿，然后是 '|'，再把每个字母连同它的数字写一遍："Q4 b7 K0|b7 K0 Q4"。计分：每个查询字母后的数字。这是 mqar-* 模型训练时的格式。</translation>
    </message>
    <message>
        <source>The current text with runs of junk control bytes inserted after some bytes. Scored: predictions of text bytes only. The format the noise-* models were trained on.</source>
        <translation>当前文本，在一些字节之后插入成串的垃圾控制字节。计分：只计文字字节的预测。这是 noise-* 模型训练时的格式。</translation>
    </message>
    <message>
        <source>Letters scattered among dots, then '|' and the letters in order: "..k...b..x..|kbx". Scored: the copied letters.</source>
        <translation>散布在点之间的字母，然后是 '|' 和按顺序排列的这些字母："..k...b..x..|kbx"。计分：复制出的字母。</translation>
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
        <source>%1: task: unknown task "%2"</source>
        <translation>%1：task：未知任务 "%2"</translation>
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
        <source>&lt;br&gt;&lt;span style='color:#d55e00'&gt;&lt;b&gt;⚠ This model never learned recall&lt;/b&gt;: its accuracy stays near what knowing only which digits occur gives. A failure of its training, not a property of its architecture.&lt;/span&gt;</source>
        <translation>&lt;br&gt;&lt;span style='color:#d55e00'&gt;&lt;b&gt;⚠ 这个模型从未学会回忆&lt;/b&gt;：它的准确率停留在只知道出现过哪些数字时能达到的水平。这是训练的失败，不是其架构的性质。&lt;/span&gt;</translation>
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
</context>
</TS>
