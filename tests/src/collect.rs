//! A client that behaves as ODK Collect does against an OpenRosa server
//! (`../shared/reference/odk-openrosa.md`): it lists forms and fetches each form and its media
//! files by the hashes the server gives; before sending it asks `HEAD submission` once and
//! reads `X-OpenRosa-Accept-Content-Length` only from a 204; it sends a submission as
//! `multipart/form-data` POSTs of `xml_submission_file` and the files, splitting before a file
//! that would pass the accepted size and after 100 files, each POST with the same XML and all
//! but the last marked `*isIncomplete*=yes`; only 201 or 202 count as success, and a failed
//! POST (a cut connection) is sent again from that POST on.

use std::time::Duration;

use md5::{Digest, Md5};

/// Collect's accepted size when the server says nothing (or not with a 204).
pub const DEFAULT_ACCEPT: usize = 10_000_000;
/// Collect's file cap per POST.
pub const MAX_FILES: usize = 100;

/// A form as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedForm {
    pub form_id: String,
    pub version: String,
    pub hash: String,
    pub download_url: String,
    pub manifest_url: Option<String>,
}

/// A form with its media files, as Collect keeps it on the phone.
#[derive(Debug, Clone)]
pub struct Downloaded {
    pub listed: ListedForm,
    pub xml: Vec<u8>,
    pub media: Vec<(String, Vec<u8>)>,
}

/// One POST's answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        self.status == 201 || self.status == 202
    }
}

/// Which files go in which POST: indices into `sizes`, in order. A POST takes files until the
/// next would pass `accept` bytes (a file larger than `accept` goes alone) or it has `max_files`.
pub fn split_posts(sizes: &[usize], accept: usize, max_files: usize) -> Vec<Vec<usize>> {
    let mut posts: Vec<Vec<usize>> = vec![Vec::new()];
    let mut bytes = 0;
    for (i, &size) in sizes.iter().enumerate() {
        let current = posts.last_mut().expect("one post at least");
        if !current.is_empty() && (bytes + size > accept || current.len() == max_files) {
            posts.push(Vec::new());
            bytes = 0;
        }
        posts.last_mut().expect("just pushed").push(i);
        bytes += size;
    }
    posts
}

pub fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

/// The text of every element named `name` (local name) in `xml`.
fn texts(xml: &str, name: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).expect("the server writes well-formed XML");
    doc.descendants()
        .filter(|n| n.tag_name().name() == name)
        .map(|n| n.text().unwrap_or("").to_owned())
        .collect()
}

/// Collect configured with one server URL.
pub struct Collect {
    pub server_url: String,
    pub http: reqwest::Client,
    /// Learnt from `HEAD submission` (once per session, as Collect does).
    accept: Option<usize>,
}

impl Collect {
    pub fn new(server_url: &str) -> Collect {
        Collect {
            server_url: server_url.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap(),
            accept: None,
        }
    }

    fn get(&self, url: &str) -> reqwest::RequestBuilder {
        self.http
            .get(url)
            .header("X-OpenRosa-Version", "1.0")
            .query(&[("deviceID", "collect:test0001")])
    }

    /// `GET formList`; panics unless it is an OpenRosa answer.
    pub async fn form_list(&self) -> Vec<ListedForm> {
        let r = self
            .get(&format!("{}/formList", self.server_url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-openrosa-version"], "1.0");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("text/xml"));
        let text = r.text().await.unwrap();
        let doc = roxmltree::Document::parse(&text).unwrap();
        doc.descendants()
            .filter(|n| n.tag_name().name() == "xform")
            .map(|x| {
                let child = |name: &str| {
                    x.children()
                        .find(|c| c.tag_name().name() == name)
                        .and_then(|c| c.text())
                        .map(str::to_owned)
                };
                ListedForm {
                    form_id: child("formID").unwrap(),
                    version: child("version").unwrap_or_default(),
                    hash: child("hash").unwrap(),
                    download_url: child("downloadUrl").expect("Collect drops a list without one"),
                    manifest_url: child("manifestUrl"),
                }
            })
            .collect()
    }

    /// Downloads a listed form and its media files, checking every `md5:` hash.
    pub async fn download(&self, form: &ListedForm) -> Downloaded {
        let xml = self
            .get(&form.download_url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec();
        assert_eq!(
            form.hash,
            format!("md5:{}", md5_hex(&xml)),
            "{}",
            form.form_id
        );
        let mut media = Vec::new();
        if let Some(url) = &form.manifest_url {
            let r = self.get(url).send().await.unwrap();
            assert_eq!(r.status(), 200);
            assert_eq!(r.headers()["x-openrosa-version"], "1.0");
            let manifest = r.text().await.unwrap();
            let names = texts(&manifest, "filename");
            let hashes = texts(&manifest, "hash");
            let urls = texts(&manifest, "downloadUrl");
            for ((name, hash), url) in names.into_iter().zip(hashes).zip(urls) {
                let bytes = self
                    .get(&url)
                    .send()
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap()
                    .to_vec();
                assert_eq!(hash, format!("md5:{}", md5_hex(&bytes)), "{name}");
                media.push((name, bytes));
            }
        }
        Downloaded {
            listed: form.clone(),
            xml,
            media,
        }
    }

    /// `HEAD submission` as Collect asks it: only a 204 sets the accepted size.
    pub async fn head(&mut self) -> u16 {
        let r = self
            .http
            .head(format!("{}/submission", self.server_url))
            .header("X-OpenRosa-Version", "1.0")
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        if status == 204 {
            self.accept = r
                .headers()
                .get("x-openrosa-accept-content-length")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok());
        }
        status
    }

    pub fn accepted_size(&self) -> usize {
        self.accept.unwrap_or(DEFAULT_ACCEPT)
    }

    /// One POST: the XML and some files; `incomplete` adds `*isIncomplete*=yes`.
    pub async fn post(
        &self,
        xml: &[u8],
        files: &[(String, Vec<u8>)],
        incomplete: bool,
    ) -> Result<Answer, reqwest::Error> {
        let mut form = reqwest::multipart::Form::new().part(
            "xml_submission_file",
            reqwest::multipart::Part::bytes(xml.to_vec())
                .file_name("submission.xml")
                .mime_str("text/xml")
                .unwrap(),
        );
        for (name, bytes) in files {
            form = form.part(
                name.clone(),
                reqwest::multipart::Part::bytes(bytes.clone())
                    .file_name(name.clone())
                    .mime_str("image/jpeg")
                    .unwrap(),
            );
        }
        if incomplete {
            form = form.text("*isIncomplete*", "yes");
        }
        let r = self
            .http
            .post(format!("{}/submission", self.server_url))
            .header("X-OpenRosa-Version", "1.0")
            .query(&[("deviceID", "collect:test0001")])
            .multipart(form)
            .send()
            .await?;
        let status = r.status().as_u16();
        let body = r.text().await?;
        Ok(Answer { status, body })
    }

    /// Sends a submission as Collect does: HEAD once, then the POSTs of [`split_posts`]; a POST
    /// whose connection failed is sent again (up to `retries` times); it stops at the first
    /// answer that is not a success and returns every answer.
    pub async fn submit(
        &mut self,
        xml: &[u8],
        files: &[(String, Vec<u8>)],
        retries: usize,
    ) -> Vec<Answer> {
        if self.accept.is_none() {
            self.head().await;
        }
        let sizes: Vec<usize> = files.iter().map(|(_, b)| b.len()).collect();
        let posts = if files.is_empty() {
            vec![Vec::new()]
        } else {
            split_posts(&sizes, self.accepted_size(), MAX_FILES)
        };
        let mut answers = Vec::new();
        for (k, post) in posts.iter().enumerate() {
            let part: Vec<(String, Vec<u8>)> = post.iter().map(|&i| files[i].clone()).collect();
            let incomplete = k + 1 < posts.len();
            let mut attempts = 0;
            let answer = loop {
                match self.post(xml, &part, incomplete).await {
                    Ok(a) => break a,
                    Err(_) if attempts < retries => {
                        attempts += 1;
                        pause_before_retry(attempts).await;
                    }
                    Err(e) => panic!("the submission could not be sent: {e}"),
                }
            };
            let ok = answer.is_success();
            answers.push(answer);
            if !ok {
                break;
            }
        }
        answers
    }
}

/// A short pause before Collect sends a POST again.
async fn pause_before_retry(attempt: usize) {
    tokio::time::sleep(Duration::from_millis(100 * attempt as u64)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_split_before_a_file_that_passes_the_size_and_after_100_files() {
        assert_eq!(split_posts(&[4, 4, 4], 10, 100), vec![vec![0, 1], vec![2]]);
        assert_eq!(split_posts(&[20, 1], 10, 100), vec![vec![0], vec![1]]);
        assert_eq!(split_posts(&[], 10, 100), vec![Vec::<usize>::new()]);
        let many = vec![1; 101];
        let posts = split_posts(&many, DEFAULT_ACCEPT, MAX_FILES);
        assert_eq!(posts.len(), 2);
        assert_eq!((posts[0].len(), posts[1].len()), (100, 1));
    }
}
