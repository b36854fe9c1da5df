export { validateFileName, MAX_NAME_BYTES } from './file-name.js';
export { createFile, deleteFile, openDataFile, DATA_FILE_DEFAULTS, type CreateFileOptions, type FileResult } from './data-files.js';
