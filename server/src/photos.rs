//! The content-addressed photo store of a data directory: finished photos at
//! `photos/ab/cdef…` (the SHA-256 hex split after two characters), unfinished tus uploads at
//! `uploads/<id>.part`. A photo file only ever appears, by rename, after its whole-file SHA-256
//! was checked, so every stored photo hashes to its id.
//!
//! Finished photos sit behind the small [`PhotoObjects`] trait (contains, read, put a verified
//! file), implemented here on a directory ([`FsPhotoObjects`]); an S3-compatible object store can
//! implement the same three calls with keys `ab/cdef…`. Unfinished uploads stay files in
//! `uploads/`, since tus appends at an offset, which object stores do not do; servers that share
//! one database share this directory (e.g. an NFS mount given by `--photos`).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use ntm_field::ids::PhotoId;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::storage::Storage;

/// Where finished, verified photos live, by id. Immutable: a photo is only ever added.
pub trait PhotoObjects: Send + Sync + 'static {
    fn contains(&self, id: &PhotoId) -> std::io::Result<bool>;
    fn read(&self, id: &PhotoId) -> std::io::Result<Vec<u8>>;
    /// Stores the file at `verified` (whose SHA-256 is `id`) durably, taking it: the file is
    /// gone afterwards. Storing an id that exists keeps the existing photo.
    fn put_file(&self, id: &PhotoId, verified: &Path) -> std::io::Result<()>;
}

/// [`PhotoObjects`] in a directory: `ab/cdef…`.
pub struct FsPhotoObjects {
    root: PathBuf,
}

impl FsPhotoObjects {
    pub fn open(root: &Path) -> std::io::Result<Self> {
        fs::create_dir_all(root)?;
        Ok(FsPhotoObjects {
            root: root.to_owned(),
        })
    }

    pub fn path(&self, id: &PhotoId) -> PathBuf {
        let hex = id.to_hex();
        self.root.join(&hex[..2]).join(&hex[2..])
    }
}

impl PhotoObjects for FsPhotoObjects {
    fn contains(&self, id: &PhotoId) -> std::io::Result<bool> {
        self.path(id).try_exists()
    }

    fn read(&self, id: &PhotoId) -> std::io::Result<Vec<u8>> {
        fs::read(self.path(id))
    }

    fn put_file(&self, id: &PhotoId, verified: &Path) -> std::io::Result<()> {
        let target = self.path(id);
        let dir = target.parent().expect("photo paths have a parent");
        fs::create_dir_all(dir)?;
        if target.exists() {
            fs::remove_file(verified)?;
        } else {
            fs::rename(verified, &target)?;
            sync_dir(dir);
        }
        if let Some(from) = verified.parent() {
            sync_dir(from);
        }
        Ok(())
    }
}

pub struct PhotoStore {
    photos: PathBuf,
    uploads: PathBuf,
    objects: Box<dyn PhotoObjects>,
}

fn sync_dir(dir: &Path) {
    // Makes a rename or a new file durable; not every platform can open a directory.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

impl PhotoStore {
    pub fn open(root: &Path) -> anyhow::Result<Self> {
        let objects = FsPhotoObjects::open(&root.join("photos"))?;
        Self::with_objects(root, Box::new(objects))
    }

    /// Unfinished uploads in `root/uploads`, finished photos in `objects`.
    pub fn with_objects(root: &Path, objects: Box<dyn PhotoObjects>) -> anyhow::Result<Self> {
        let store = PhotoStore {
            photos: root.join("photos"),
            uploads: root.join("uploads"),
            objects,
        };
        fs::create_dir_all(&store.uploads)?;
        Ok(store)
    }

    /// A stored photo's bytes.
    pub fn read(&self, id: &PhotoId) -> std::io::Result<Vec<u8>> {
        self.objects.read(id)
    }

    /// Whether a photo is stored.
    pub fn contains(&self, id: &PhotoId) -> std::io::Result<bool> {
        self.objects.contains(id)
    }

    /// Where the directory store keeps a photo; prefer [`PhotoStore::read`], which works with
    /// any [`PhotoObjects`].
    pub fn photo_path(&self, id: &PhotoId) -> PathBuf {
        let hex = id.to_hex();
        self.photos.join(&hex[..2]).join(&hex[2..])
    }

    pub fn upload_path(&self, id: Uuid) -> PathBuf {
        self.uploads.join(format!("{id}.part"))
    }

    /// Creates the empty partial file of a new upload.
    pub fn create_partial(&self, id: Uuid) -> std::io::Result<()> {
        File::create(self.upload_path(id))?.sync_all()?;
        sync_dir(&self.uploads);
        Ok(())
    }

    /// Cuts a partial file back to `len` bytes (what the database says was received).
    pub fn truncate_partial(&self, id: Uuid, len: u64) -> std::io::Result<()> {
        let f = OpenOptions::new().write(true).open(self.upload_path(id))?;
        f.set_len(len)?;
        f.sync_all()
    }

    pub fn remove_partial(&self, id: Uuid) {
        let _ = fs::remove_file(self.upload_path(id));
    }

    /// Hashes a finished partial file; when it equals `expected`, moves it into the store
    /// (durably) and returns true, else removes it and returns false with the actual digest.
    pub fn finish(&self, id: Uuid, expected: &PhotoId) -> std::io::Result<Result<(), PhotoId>> {
        let path = self.upload_path(id);
        let mut file = File::open(&path)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 << 10];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        let actual = PhotoId::from_digest(hasher.finalize().into());
        if &actual != expected {
            self.remove_partial(id);
            return Ok(Err(actual));
        }
        drop(file);
        crate::failpoint::hit("photo-verified");
        self.objects.put_file(expected, &path)?;
        Ok(Ok(()))
    }

    /// Stores bytes directly (the demo and tests); the id is their SHA-256.
    pub fn put(&self, data: &[u8]) -> std::io::Result<PhotoId> {
        let id = PhotoId::of_bytes(data);
        if !self.objects.contains(&id)? {
            let tmp = self.uploads.join(format!("{}.put", Uuid::now_v7()));
            let mut f = File::create(&tmp)?;
            f.write_all(data)?;
            f.sync_all()?;
            drop(f);
            self.objects.put_file(&id, &tmp)?;
        }
        Ok(id)
    }

    /// Removes expired uploads with their partial files. All a server may clean up in a photo
    /// directory that other servers share (`reconcile` would cut uploads they are writing).
    pub fn remove_expired(&self, storage: &dyn Storage) -> anyhow::Result<()> {
        for id in storage.expired_uploads(chrono::Utc::now())? {
            storage.delete_upload(id)?;
            self.remove_partial(id);
        }
        Ok(())
    }

    /// After a restart: partial files longer than their recorded offset lose the unrecorded
    /// tail (it may not have been flushed), shorter ones move the offset back; expired uploads
    /// and orphan files go.
    pub fn reconcile(&self, storage: &dyn Storage) -> anyhow::Result<()> {
        let now = chrono::Utc::now();
        for id in storage.expired_uploads(now)? {
            storage.delete_upload(id)?;
            self.remove_partial(id);
        }
        let mut unfinished = storage.unfinished_uploads()?;
        // An upload whose photo reached the store before a crash is finished, not restarted.
        let mut finished = Vec::new();
        for u in &unfinished {
            if self.objects.contains(&u.sha256)? {
                storage.complete_upload(u.id, now)?;
                self.remove_partial(u.id);
                finished.push(u.id);
            }
        }
        unfinished.retain(|u| !finished.contains(&u.id));
        for u in &unfinished {
            let path = self.upload_path(u.id);
            match fs::metadata(&path) {
                Ok(m) if m.len() > u.offset => self.truncate_partial(u.id, u.offset)?,
                Ok(m) if m.len() < u.offset => {
                    storage.set_upload_offset(u.id, m.len(), u.expires_at)?
                }
                Ok(_) => {}
                Err(_) => {
                    File::create(&path)?.sync_all()?;
                    storage.set_upload_offset(u.id, 0, u.expires_at)?;
                }
            }
        }
        let known: std::collections::HashSet<String> = unfinished
            .iter()
            .map(|u| format!("{}.part", u.id))
            .collect();
        for entry in fs::read_dir(&self.uploads)?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !known.contains(&name) {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(())
    }
}
