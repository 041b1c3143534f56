/**
 * Experiments as files: Save as Experiment… writes the last ablation or patching run as
 * `<name>.experiment.json` (model path relative to the file); a **Run experiment** CodeLens on
 * `*.experiment.json` files runs one through the engine — loading the model it names when another
 * is loaded — and writes its `results` back in place, everything else in the file kept as it was.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { buildExperiment, experimentFileName, experimentText, parseExperimentText, resolveModelPath, withResults } from '../host/experimentFile';
import type { ModelSession } from '../host/session';
import type { InspectorPanel } from '../panel/inspectorPanel';
import type { Intervention } from '../protocol/engine';
import type { ExperimentResults } from '../protocol/experiment';

const SELECTOR: vscode.DocumentSelector = [{ pattern: '**/*.experiment.json' }];

export function registerExperiments(session: ModelSession, panel: InspectorPanel): vscode.Disposable {
  const lensChanged = new vscode.EventEmitter<void>();
  const running = new Set<string>();
  const provider: vscode.CodeLensProvider = {
    onDidChangeCodeLenses: lensChanged.event,
    provideCodeLenses(document) {
      const top = new vscode.Range(0, 0, 0, 0);
      const busy = running.has(document.uri.toString());
      return [
        new vscode.CodeLens(top, {
          title: busy ? '$(loading~spin) Running experiment…' : '$(play) Run experiment',
          tooltip: 'Run this experiment with Circuit Inspector and write its results into the file',
          command: busy ? '' : 'circuitInspector.runExperiment',
          arguments: [document.uri],
        }),
      ];
    },
  };

  async function run(uri: vscode.Uri | undefined): Promise<ExperimentResults | undefined> {
    uri ??= vscode.window.activeTextEditor?.document.uri;
    if (!uri) {
      void vscode.window.showWarningMessage('Open a *.experiment.json file to run it.');
      return undefined;
    }
    const key = uri.toString();
    if (running.has(key)) return undefined;
    const name = path.basename(uri.fsPath);
    const document = await vscode.workspace.openTextDocument(uri);
    let experiment;
    try {
      experiment = parseExperimentText(document.getText());
    } catch (error) {
      void vscode.window.showErrorMessage(`Circuit Inspector: ${name}: ${error instanceof Error ? error.message : String(error)}.`);
      return undefined;
    }
    running.add(key);
    lensChanged.fire();
    try {
      const modelPath = resolveModelPath(uri.fsPath, experiment.model);
      panel.show().showTab('interventions');
      if (!session.model || path.resolve(session.model.path) !== modelPath) {
        if (!(await session.load(vscode.Uri.file(modelPath), { notify: true }))) return undefined;
      }
      const origin = { notify: true };
      const done = experiment.patch
        ? await session.patch({ clean: experiment.prompt, corrupted: experiment.corrupted!, component: experiment.patch.component, metric: experiment.metric }, origin)
        : await session.ablate(
            { prompt: experiment.prompt, interventions: experiment.interventions as readonly Intervention[], metric: experiment.metric, corrupted: experiment.corrupted, reference: experiment.reference },
            origin,
          );
      if (!done) return undefined;
      // Write into the document as it is now (it may have been edited while the run went on).
      const current = await vscode.workspace.openTextDocument(uri);
      const text = withResults(current.getText(), done.results);
      const edit = new vscode.WorkspaceEdit();
      edit.replace(uri, new vscode.Range(current.positionAt(0), current.positionAt(current.getText().length)), text);
      if (!(await vscode.workspace.applyEdit(edit)) || !(await current.save())) {
        void vscode.window.showErrorMessage(`Circuit Inspector: could not write the results into ${name}.`);
        return undefined;
      }
      void vscode.window.setStatusBarMessage(`Circuit Inspector: ${name} ran; results written`, 4000);
      return done.results;
    } finally {
      running.delete(key);
      lensChanged.fire();
    }
  }

  async function save(target: vscode.Uri | undefined): Promise<vscode.Uri | undefined> {
    const last = session.lastIntervention;
    if (!last) {
      void vscode.window.showWarningMessage('Run an ablation or a patching sweep first: Save as Experiment saves the last one.');
      return undefined;
    }
    if (!target) {
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(path.dirname(last.draft.modelPath));
      const name = await vscode.window.showInputBox({
        title: 'Save as Experiment',
        prompt: `Experiment name; saved as <name>.experiment.json in ${vscode.workspace.asRelativePath(folder)}`,
        value: last.draft.patch ? `patch-${last.draft.patch.component}` : 'ablation',
        validateInput: (text) => (text.trim() === '' ? 'Give the experiment a name' : undefined),
      });
      if (!name) return undefined;
      target = vscode.Uri.joinPath(folder, experimentFileName(name));
      const exists = await vscode.workspace.fs.stat(target).then(
        () => true,
        () => false,
      );
      if (exists) {
        const choice = await vscode.window.showWarningMessage(`${vscode.workspace.asRelativePath(target)} exists. Replace it?`, { modal: true }, 'Replace');
        if (choice !== 'Replace') return undefined;
      }
    }
    const experiment = buildExperiment(target.fsPath, last.draft);
    await vscode.workspace.fs.writeFile(target, Buffer.from(experimentText(experiment), 'utf8'));
    await vscode.window.showTextDocument(target, { preview: true, preserveFocus: true, viewColumn: vscode.ViewColumn.One });
    return target;
  }

  return vscode.Disposable.from(
    lensChanged,
    vscode.languages.registerCodeLensProvider(SELECTOR, provider),
    vscode.commands.registerCommand('circuitInspector.runExperiment', (uri?: vscode.Uri) => run(uri)),
    vscode.commands.registerCommand('circuitInspector.saveExperiment', (uri?: vscode.Uri) => save(uri)),
  );
}
