// Photos on the details page: previews of what will be sent, at most the number the
// page allows, each scaled down before upload when it is bigger than it needs to be.
import { downscalePhoto, formatFileSize, replaceFiles } from './photo-files.js';

/** Enhances `<input type="file" data-photo-input data-max-photos="3">` and its `[data-photo-previews]` list. */
export function enhancePhotoInput(input: HTMLInputElement): void {
  const previews = (input.form ?? document).querySelector<HTMLElement>('[data-photo-previews]');
  const maxPhotos = Number(input.dataset.maxPhotos) || Infinity;
  const status = document.createElement('p');
  status.className = 'govuk-body report-photo-status';
  status.setAttribute('aria-live', 'polite');
  (previews ?? input).after(status);

  let previewUrls: string[] = [];
  // A resident can choose again while the last photos are still being prepared;
  // only the latest choice may change the input.
  let latestChoice = 0;

  const showPreviews = (files: readonly File[]) => {
    for (const url of previewUrls) URL.revokeObjectURL(url);
    previewUrls = files.map((file) => URL.createObjectURL(file));
    if (!previews) return;
    previews.replaceChildren(
      ...files.map((file, index) => preview(file, index, previewUrls[index] ?? '')),
    );
  };

  input.addEventListener('change', () => {
    const choice = ++latestChoice;
    const chosen = [...(input.files ?? [])];
    const kept = chosen.slice(0, maxPhotos);
    showPreviews([]);
    status.textContent = kept.length ? 'Getting your photos ready…' : '';
    if (!kept.length) return;
    void prepare(kept).then((prepared) => {
      if (choice !== latestChoice) return;
      // If the browser cannot replace the files, it sends what the resident chose and
      // the server deals with it; the previews then show that.
      const replaced = sameFiles(prepared, chosen) || replaceFiles(input, prepared);
      const sent = replaced ? prepared : chosen;
      showPreviews(sent);
      const messages: string[] = [];
      if (replaced && chosen.length > sent.length)
        messages.push(
          maxPhotos === 1
            ? `You chose ${chosen.length} photos. You can add 1, so we will send the first one.`
            : `You chose ${chosen.length} photos. You can add up to ${maxPhotos}, so we will send the first ${maxPhotos}.`,
        );
      messages.push(
        sent.length === 1 ? '1 photo ready to send.' : `${sent.length} photos ready to send.`,
      );
      status.textContent = messages.join(' ');
    });
  });
}

function sameFiles(a: readonly File[], b: readonly File[]): boolean {
  return a.length === b.length && a.every((file, index) => file === b[index]);
}

/** One after another: a phone decoding several large photos at once can run out of memory. */
async function prepare(files: readonly File[]): Promise<File[]> {
  const prepared: File[] = [];
  for (const file of files) prepared.push(await downscalePhoto(file));
  return prepared;
}

function preview(file: File, index: number, url: string): HTMLLIElement {
  const item = document.createElement('li');
  item.className = 'report-photo-previews__item';
  const image = document.createElement('img');
  image.className = 'report-photo-previews__image';
  image.src = url;
  image.alt = `Preview of photo ${index + 1}: ${file.name}`;
  const caption = document.createElement('span');
  caption.className = 'govuk-body-s report-photo-previews__caption';
  caption.textContent = formatFileSize(file.size);
  item.append(image, caption);
  return item;
}
