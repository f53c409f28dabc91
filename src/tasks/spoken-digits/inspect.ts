// The spoken-digits test inspection: every test clip decoded greedily and by prefix beam search,
// errors per held-out voice and transcripts — lines for `nabla eval`, a section for report.html.

import * as nb from '../../index.js';
import { speech } from '../../node.js';
import type { Inspector, TaskData } from '../task.js';
import { esc, pct } from '../html.js';
import { splitOf, type SpeechMeta } from './data.js';

const BEAM = 8;

export function speechInspector(data: TaskData<SpeechMeta>): Inspector {
  const split = splitOf.get(data.test);
  if (!split) throw new Error('spoken-digits: the test set is not the task\'s own (SpeechClips)');
  const scorer = new speech.SpeechScorer(split, BEAM);
  return {
    update(output, target, batch) {
      const idx = (batch as nb.Tensor[])[2]!;
      scorer.add(output!, target!, idx.dataSync() as Int32Array);
    },
    finish() {
      const e = scorer.result();
      const voices = Object.entries(e.perVoice).map(([v, s]) => [v, s.errors / s.digits, s.digits] as const).sort((a, b) => b[1] - a[1]);
      const wrong = e.transcripts.filter((t) => t.beam !== t.reference);
      const head = `prefix beam search (width ${BEAM}): digit error rate ${pct(e.beamDER)} · best path ${pct(e.greedyDER)} · whole sequences right ${pct(e.sequenceAccuracy)} · ${e.clips} clips (${e.digits} digits) by ${voices.length} voices never heard in training`;
      const lines = [
        head,
        `hardest voices: ${voices.slice(0, 6).map(([v, r]) => `${v} ${pct(r)}`).join(', ')}`,
        ...wrong.slice(0, 8).map((t) => `  ${t.voice} (${t.accent}) said ${t.reference}, heard ${t.beam || '∅'}`),
      ];
      const first = e.transcripts[0];
      const example = first ? {
        features: (data.test as speech.SpeechClips).features(first.clip),
        reference: first.reference, heard: first.beam, voice: first.voice,
      } : undefined;
      const html = `<h2>Spoken digits: what the model heard</h2>
<p>${esc(head)}. The run's digit error rate above is best-path decoding (what validation used to pick the epoch); beam search is what <code>nabla predict</code> prints.</p>
${speech.speechResultsHtml(e, example)}`;
      return { lines, html };
    },
  };
}
