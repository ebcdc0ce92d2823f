"""GB2312 (every character of it: 6,763 hanzi and its symbols) plus ASCII and the punctuation the
platform writes, cut from Noto Sans SC Regular."""

from fontTools import subset

chars = set(chr(c) for c in range(0x20, 0x7F))
for hi in range(0xA1, 0xF8):
    for lo in range(0xA1, 0xFF):
        try:
            chars.add(bytes([hi, lo]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
chars |= set("〔〕→←—–…·•①②③④⑤％（），：；！？《》「」『』【】、。￥×÷±≤≥√°℃ ")
options = subset.Options()
options.layout_features = ["*"]
options.name_IDs = ["*"]
options.notdef_outline = True
font = subset.load_font("package/400Regular/NotoSansSC_400Regular.ttf", options)
sub = subset.Subsetter(options)
sub.populate(text="".join(sorted(chars)))
sub.subset(font)
font.flavor = None
subset.save_font(font, "NotoSansSC-GB2312.ttf", options)
print(len(chars))
