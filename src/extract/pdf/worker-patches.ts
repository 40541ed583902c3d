/**
 * Changes to pdf.js's worker code (the part that parses the PDF), applied to its source text
 * when it is loaded (pdf/pdfjs.ts). Each patch is data: its edits (the text each finds, and
 * the text it puts there) and why. A patch is applied whole or not at all: if any of its edits
 * does not find its text exactly once, the patch is left out, and pdf.js then works as
 * published for it: correct, only slower. test/pdf-patches.test.ts fails when a patch stops
 * applying to the installed pdf.js, so an upgrade cannot drop one unnoticed.
 *
 * The changes only skip or share work whose result text extraction never reads. The
 * extractions of every PDF in the test corpus are byte-identical with and without them.
 */

/** One change to the source: `find` must occur exactly once. */
export interface SourceEdit {
  find: string;
  replace: string;
}

/** A patch is all its edits or none: a patch whose edits do not all apply is left out whole. */
export interface SourcePatch {
  id: string;
  why: string;
  edits: readonly SourceEdit[];
}

/**
 * The recorder of the "drawing-in-text-pass" patch: methods of pdf.js's PartialEvaluator.
 *
 * `nianbaoDrawing()` makes the recording: an OperatorList made as pdf.js makes a page's (with a
 * sink, so it has pdf.js's own optimiser, which folds `save, transform, constructPath,
 * restore`), whose chunks the sink collects into `fnArray` and `argsArray`.
 *
 * `nianbaoRecord()` gets every operator the text pass reads and adds what getOperatorList would
 * add for it, for the operators pdf/lines.ts reads: save, restore, transform, paths, and colours
 * (converted to RGB as getOperatorList converts them). Any other operator becomes one
 * placeholder (0, not an operator code), so that the optimiser folds exactly where it folds in
 * an operator list. Returns a promise when a colour space must be loaded first. On any error it
 * marks the recording failed (the page then gets a real operator list).
 *
 * The colour spaces are kept on pdf.js's text state (saved and restored with it) as
 * `nianbaoFill`, `nianbaoStroke` and, for `scn`, `nianbaoPatternFill`/`nianbaoPatternStroke`.
 */
const RECORD_DRAWING = `  nianbaoDrawing() {
    const fnArray = [];
    const argsArray = [];
    const sink = {
      enqueue(chunk) {
        for (let i = 0; i < chunk.length; i++) {
          fnArray.push(chunk.fnArray[i]);
          argsArray.push(chunk.argsArray[i]);
        }
      },
      get desiredSize() {
        return Infinity;
      },
      ready: Promise.resolve()
    };
    return {
      ops: new OperatorList(0, sink),
      fnArray,
      argsArray,
      path: {
        pathBuffer: [],
        pathMinMax: new Float32Array([Infinity, Infinity, -Infinity, -Infinity]),
        currentPointX: 0,
        currentPointY: 0
      },
      added: 0,
      failed: false
    };
  }
  nianbaoAdd(drawing, fn, args) {
    drawing.ops.addOp(fn, args);
    drawing.added++;
  }
  nianbaoSetSpace(state, fill, cs) {
    if (fill) {
      state.nianbaoFill = state.nianbaoPatternFill = cs;
    } else {
      state.nianbaoStroke = state.nianbaoPatternStroke = cs;
    }
  }
  nianbaoRecord(drawing, fn, args, state, resources, csCache) {
    try {
      switch (fn | 0) {
        case OPS.save:
        case OPS.restore:
          this.nianbaoAdd(drawing, fn, null);
          return null;
        case OPS.transform:
          this.nianbaoAdd(drawing, fn, args.slice());
          return null;
        case OPS.moveTo:
        case OPS.lineTo:
        case OPS.curveTo:
        case OPS.curveTo2:
        case OPS.curveTo3:
        case OPS.closePath:
        case OPS.rectangle:
          this.buildPath(fn, args, drawing.path);
          return null;
        case OPS.stroke:
        case OPS.closeStroke:
        case OPS.fill:
        case OPS.eoFill:
        case OPS.fillStroke:
        case OPS.eoFillStroke:
        case OPS.closeFillStroke:
        case OPS.closeEOFillStroke:
        case OPS.endPath: {
          const { pathBuffer, pathMinMax } = drawing.path;
          if (fn === OPS.closeStroke || fn === OPS.closeFillStroke || fn === OPS.closeEOFillStroke) {
            pathBuffer.push(DrawOPS.closePath);
          }
          if (pathBuffer.length === 0) {
            this.nianbaoAdd(drawing, OPS.constructPath, [fn, [null], null]);
          } else {
            this.nianbaoAdd(drawing, OPS.constructPath, [fn, [new Float32Array(pathBuffer)], pathMinMax.slice()]);
            pathBuffer.length = 0;
            pathMinMax.set([Infinity, Infinity, -Infinity, -Infinity], 0);
          }
          return null;
        }
        case OPS.setFillColorSpace:
        case OPS.setStrokeColorSpace: {
          const fill = fn === OPS.setFillColorSpace;
          const cs = this._getColorSpace(args[0], resources, csCache);
          if (cs instanceof ColorSpace) {
            this.nianbaoSetSpace(state, fill, cs);
            return null;
          }
          return this._handleColorSpace(cs).then(loaded => this.nianbaoSetSpace(state, fill, loaded || ColorSpaceUtils.gray), () => {
            drawing.failed = true;
          });
        }
        case OPS.setFillColor:
        case OPS.setStrokeColor: {
          const fill = fn === OPS.setFillColor;
          const cs = (fill ? state.nianbaoFill : state.nianbaoStroke) ?? ColorSpaceUtils.gray;
          this.nianbaoAdd(drawing, fill ? OPS.setFillRGBColor : OPS.setStrokeRGBColor, [cs.getRgbHex(args, 0)]);
          return null;
        }
        case OPS.setFillGray:
        case OPS.setFillCMYKColor:
        case OPS.setFillRGBColor:
        case OPS.setStrokeGray:
        case OPS.setStrokeCMYKColor:
        case OPS.setStrokeRGBColor: {
          const fill = fn === OPS.setFillGray || fn === OPS.setFillCMYKColor || fn === OPS.setFillRGBColor;
          const cs = fn === OPS.setFillGray || fn === OPS.setStrokeGray ? ColorSpaceUtils.gray : fn === OPS.setFillCMYKColor || fn === OPS.setStrokeCMYKColor ? ColorSpaceUtils.cmyk : ColorSpaceUtils.rgb;
          this.nianbaoSetSpace(state, fill, cs);
          this.nianbaoAdd(drawing, fill ? OPS.setFillRGBColor : OPS.setStrokeRGBColor, [cs.getRgbHex(args, 0)]);
          return null;
        }
        case OPS.setFillColorN:
        case OPS.setStrokeColorN: {
          const fill = fn === OPS.setFillColorN;
          const rgb = fill ? OPS.setFillRGBColor : OPS.setStrokeRGBColor;
          const cs = (fill ? state.nianbaoPatternFill : state.nianbaoPatternStroke) ?? null;
          if (!cs) {
            if (isNumberArray(args, null)) {
              this.nianbaoAdd(drawing, rgb, [ColorSpaceUtils.gray.getRgbHex(args, 0)]);
            } else {
              this.nianbaoAdd(drawing, fill ? OPS.setFillTransparent : OPS.setStrokeTransparent, []);
            }
          } else if (cs.name === "Pattern") {
            this.nianbaoAdd(drawing, fn, []);
          } else {
            this.nianbaoAdd(drawing, rgb, [cs.getRgbHex(args, 0)]);
          }
          return null;
        }
        case OPS.paintXObject:
        case OPS.markPoint:
        case OPS.markPointProps:
        case OPS.beginCompat:
        case OPS.endCompat:
          return null;
        default:
          if (drawing.ops.fnArray.at(-1) !== 0) {
            this.nianbaoAdd(drawing, 0, null);
          }
          return null;
      }
    } catch (reason) {
      if (reason instanceof AbortException) {
        throw reason;
      }
      drawing.failed = true;
      return null;
    }
  }
`;

export const WORKER_PATCHES: readonly SourcePatch[] = [
  {
    id: "text-only-fonts",
    why:
      "An embedded font program is only needed to draw glyphs, or to learn which character a " +
      "glyph is when the PDF gives no ToUnicode map. When it does give one (and the font is not " +
      "vertical: pdf/vertical.ts reads the glyphs themselves), the text comes from that map and " +
      "the advances from /Widths, so parsing and converting the program (Type1, CFF, TrueType " +
      "repair) is wasted: about 15% of the CPU of a cold batch of corpus PDFs. The font is then " +
      "handed on without font data, which also spares copying it to the main thread.",
    edits: [
      {
        find: `    [type, subtype] = getFontFileType(file, properties);
    if (type !== this.type || subtype !== this.subtype) {`,
        replace: `    if (properties.hasIncludedToUnicodeMap && !this.vertical) {
      amendFallbackToUnicode(properties);
      this.toUnicode = properties.toUnicode;
      return;
    }
    [type, subtype] = getFontFileType(file, properties);
    if (type !== this.type || subtype !== this.subtype) {`,
      },
    ],
  },
  {
    id: "drawing-in-text-pass",
    why:
      "A page's ruling lines (pdf/lines.ts) came from a second pass over its content stream, " +
      "getOperatorList, which also turns all the text into glyph lists nobody reads: about 20% " +
      "of the CPU of a batch of corpus PDFs. The text pass (getTextContent) reads every operator " +
      "anyway, so it now also records the few that draw, as getOperatorList would list them " +
      "(RECORD_DRAWING above), and hands them over as one last text item " +
      '`{ type: "nianbaoDrawing", fnArray, argsArray }`. Only the page\'s own text pass records ' +
      "(an annotation's does not), and a page whose recording failed gets no such item: " +
      "pdf.ts then asks for the operator list as before.",
    edits: [
      // The recorder, as a method of PartialEvaluator.
      { find: "  getTextContent({\n    stream,\n    task,\n", replace: RECORD_DRAWING + "  getTextContent({\n    stream,\n    task,\n" },
      // getTextContent takes `nianbaoDrawing`: true to record (the page's call), or the list a
      // form XObject's call adds to.
      {
        find: `    intersector = null
  }) {
    const objId = stream.dict?.objId;`,
        replace: `    intersector = null,
    nianbaoDrawing = null
  }) {
    const nianbaoOwner = nianbaoDrawing === true;
    if (nianbaoOwner) {
      nianbaoDrawing = this.nianbaoDrawing();
    }
    let nianbaoColorSpaces = null;
    const objId = stream.dict?.objId;`,
      },
      // Every operator read goes to the recorder first.
      {
        find: `        const fn = operation.fn;
        args = operation.args;
        switch (fn | 0) {
          case OPS.setFont:`,
        replace: `        const fn = operation.fn;
        args = operation.args;
        if (nianbaoDrawing !== null && !nianbaoDrawing.failed) {
          const loading = self.nianbaoRecord(nianbaoDrawing, fn, args, stateManager.state, resources, nianbaoColorSpaces ??= new LocalColorSpaceCache());
          if (loading) {
            next(loading);
            return;
          }
        }
        switch (fn | 0) {
          case OPS.setFont:`,
      },
      // A form XObject: bracketed as getOperatorList brackets it, and not taken for empty (and
      // skipped when painted again) when it drew something but had no text. The bracket is
      // closed even when reading the form fails, at once (a circular form) or later (pdf.js
      // then goes on with the page): an operator list leaves it open, and every line drawn
      // after it would be placed as if inside the form.
      {
        find: `              self.getTextContent({
                stream: xobj,`,
        replace: `              const nianbaoGroup = nianbaoDrawing !== null && !!dict.get("Group");
              if (nianbaoDrawing !== null) {
                if (nianbaoGroup) {
                  self.nianbaoAdd(nianbaoDrawing, OPS.beginGroup, [null]);
                }
                self.nianbaoAdd(nianbaoDrawing, OPS.paintFormXObjectBegin, [matrix && new Float32Array(matrix), null]);
              }
              const nianbaoBefore = nianbaoDrawing?.added ?? 0;
              const nianbaoClose = () => {
                if (nianbaoDrawing !== null) {
                  self.nianbaoAdd(nianbaoDrawing, OPS.paintFormXObjectEnd, []);
                  if (nianbaoGroup) {
                    self.nianbaoAdd(nianbaoDrawing, OPS.endGroup, [null]);
                  }
                }
              };
              new Promise(nianbaoRead => nianbaoRead(self.getTextContent({
                nianbaoDrawing,
                stream: xobj,`,
      },
      {
        find: `              }).then(function () {
                if (!sinkWrapper.enqueueInvoked) {
                  emptyXObjectCache.set(name, dict.objId, true);
                }
                resolveXObject();
              }, rejectXObject);`,
        replace: `              }))).then(function () {
                const nianbaoDrew = nianbaoDrawing !== null && nianbaoDrawing.added > nianbaoBefore;
                nianbaoClose();
                if (!sinkWrapper.enqueueInvoked && !nianbaoDrew) {
                  emptyXObjectCache.set(name, dict.objId, true);
                }
                resolveXObject();
              }, function (reason) {
                nianbaoClose();
                rejectXObject(reason);
              });`,
      },
      // The page's own pass hands the recording over as its last item.
      {
        find: `      flushTextContentItem();
      enqueueChunk();
      resolve();`,
        replace: `      flushTextContentItem();
      if (nianbaoOwner && !nianbaoDrawing.failed) {
        nianbaoDrawing.ops.flush(true);
        textContent.items.push({
          type: "nianbaoDrawing",
          fnArray: nianbaoDrawing.fnArray,
          argsArray: nianbaoDrawing.argsArray
        });
      }
      enqueueChunk();
      resolve();`,
      },
      // The page's text pass (not an annotation's) records.
      {
        find: `      lang,
      intersector
    });`,
        replace: `      lang,
      intersector,
      nianbaoDrawing: true
    });`,
      },
    ],
  },
  {
    id: "type3-without-glyph-programs",
    why:
      "A Type3 font draws each glyph with a small content stream (its CharProc). pdf.js turns " +
      "every one into an operator list when the font is loaded, for drawing; Chromium's PDFs " +
      "carry hundreds of such fonts, and this was about 10% of the CPU of a batch of corpus " +
      "PDFs, plus copying the lists to the main thread. Text extraction reads only one thing " +
      "from them: a glyph box (`d1`) far larger than the font's box makes pdf.js use the glyph " +
      "boxes as the font's box (which sets the height of text items). So when the font has a " +
      "box, only each CharProc's first operator is read, and the box is worked out exactly as " +
      "pdf.js does (#removeType3ColorOperators); a font without a box (whose box pdf.js " +
      "guesses from the glyphs' paths) is loaded as before.",
    edits: [
      {
        find: `    const fontBBoxSize = Math.hypot(width, height);
    for (const key of charProcs.getKeys()) {`,
        replace: `    const fontBBoxSize = Math.hypot(width, height);
    if (fontBBoxSize > 0) {
      for (const key of charProcs.getKeys()) {
        try {
          const preprocessor = new EvaluatorPreprocessor(charProcs.get(key), type3Evaluator.xref, new StateManager());
          const operation = { args: null };
          while (preprocessor.read(operation) && [OPS.markPoint, OPS.markPointProps, OPS.beginCompat, OPS.endCompat].includes(operation.fn)) {
            operation.args = null;
          }
          if (operation.fn !== OPS.setCharWidthAndBounds || !Array.isArray(operation.args)) {
            continue;
          }
          const charBBox = Util.normalizeRect(operation.args.slice(2)),
            charWidth = charBBox[2] - charBBox[0],
            charHeight = charBBox[3] - charBBox[1];
          if (charWidth !== 0 && charHeight !== 0 && Math.round(Math.hypot(charWidth, charHeight) / fontBBoxSize) >= 10) {
            this._bbox ??= [Infinity, Infinity, -Infinity, -Infinity];
            Util.rectBoundingBox(...charBBox, this._bbox);
          }
        } catch (reason) {
          if (reason instanceof AbortException) {
            throw reason;
          }
        }
      }
      this.#type3Loaded = Promise.resolve().then(() => {
        font.charProcOperatorList = Object.create(null);
        if (this._bbox) {
          font.isCharBBox = true;
          font.bbox = this._bbox;
        }
      });
      return this.#type3Loaded;
    }
    for (const key of charProcs.getKeys()) {`,
      },
    ],
  },
  {
    id: "native-inflate",
    why:
      "pdf.js inflates Flate streams in JavaScript, a block at a time, building Huffman tables " +
      "for each block: most of the cost of the thousands of small streams a PDF can hold " +
      "(Type3 glyphs, ToUnicode maps; reading the first block of a font file to see that it is " +
      "not empty), about 7% of the CPU of a batch of corpus PDFs. The first read of a Flate " +
      "stream now inflates it whole with Node's zlib, at most 64 MB, checksum checked. If that " +
      "fails for any reason (damaged, cut short, a bad checksum, larger), the stream goes back " +
      "to pdf.js's own inflater, exactly as pdf.js does itself when its asynchronous native " +
      "inflate fails, and reads as before. The bytes were measured before pdf.js saw the file " +
      "(pdf/streams.ts), so a flate bomb never gets here.",
    edits: [
      {
        find: `  readBlock() {
    let buffer, hdr, len;
    const str = this.str;
    try {
      hdr = this.getBits(3);`,
        replace: `  readBlock() {
    if (!this.nianbaoTried) {
      this.nianbaoTried = true;
      const zlib = globalThis.process?.getBuiltinModule?.("zlib");
      if (zlib && this.bufferLength === 0 && this.codeSize === 0) {
        this.str.reset();
        const bytes = this.str.getBytes();
        try {
          const out = zlib.inflateSync(bytes, { maxOutputLength: 64 * 1024 * 1024 });
          this.buffer = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
          this.bufferLength = out.byteLength;
          this.eof = true;
          return;
        } catch {
          this.str = new Stream(bytes, 2, bytes.length, this.str.dict);
        }
      }
    }
    let buffer, hdr, len;
    const str = this.str;
    try {
      hdr = this.getBits(3);`,
      },
    ],
  },
];

export interface PatchedSource {
  source: string;
  applied: string[];
  /** Ids of the patches whose text was not found exactly once. */
  missed: string[];
}

/**
 * Applies each patch whose edits all find their text exactly once in `source`, where no other
 * edit changes it. Every edit is looked for in the original source, and the result is put
 * together once at the end: joining the pieces after each edit made every later search copy
 * the 2 MB source again (30 ms).
 */
export function applyPatches(source: string, patches: readonly SourcePatch[]): PatchedSource {
  const applied: string[] = [];
  const missed: string[] = [];
  const cuts: { at: number; edit: SourceEdit }[] = [];
  for (const p of patches) {
    const found = p.edits.map((edit) => ({ at: source.indexOf(edit.find), edit }));
    const overlaps = (a: { at: number; edit: SourceEdit }, b: { at: number; edit: SourceEdit }) =>
      a !== b && a.at < b.at + b.edit.find.length && b.at < a.at + a.edit.find.length;
    const ok = found.every(
      (f) => f.at >= 0 && source.indexOf(f.edit.find, f.at + 1) < 0 && ![...cuts, ...found].some((g) => overlaps(f, g)),
    );
    if (!ok) {
      missed.push(p.id);
      continue;
    }
    cuts.push(...found);
    applied.push(p.id);
  }
  cuts.sort((a, b) => a.at - b.at);
  let out = "";
  let from = 0;
  for (const { at, edit } of cuts) {
    out += source.slice(from, at) + edit.replace;
    from = at + edit.find.length;
  }
  return { source: out + source.slice(from), applied, missed };
}
