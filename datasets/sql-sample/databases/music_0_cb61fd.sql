CREATE TABLE artists (id INTEGER PRIMARY KEY, artist_name VARCHAR NOT NULL, country VARCHAR NOT NULL, formed_year INTEGER NOT NULL, is_band BOOLEAN NOT NULL);
CREATE TABLE albums (id INTEGER PRIMARY KEY, artist_id INTEGER NOT NULL REFERENCES artists(id), album_title VARCHAR NOT NULL, genre VARCHAR NOT NULL, record_label VARCHAR NOT NULL, release_date DATE NOT NULL, price DECIMAL(5, 2) NOT NULL);
CREATE TABLE tracks (id INTEGER PRIMARY KEY, album_id INTEGER NOT NULL REFERENCES albums(id), track_title VARCHAR NOT NULL, track_number INTEGER NOT NULL, duration_seconds INTEGER NOT NULL, play_count BIGINT NOT NULL, is_explicit BOOLEAN NOT NULL, added_at TIMESTAMP NOT NULL);
INSERT INTO artists
VALUES
  (1, 'The Bright Promise', 'Caldera', 1969, FALSE),
  (2, 'The Midnight Shadow', 'Caldera', 1969, FALSE),
  (3, 'Hidden Letter', 'Valdoria', 1975, TRUE),
  (4, 'The Quiet Orchard', 'Valdoria', 1969, FALSE);
INSERT INTO albums
VALUES
  (1, 3, 'Crimson Garden', 'jazz', 'Vertex Audio', '2009-02-19', 15.99),
  (2, 3, 'The Endless Letter', 'classical', 'Bluepeak Records', '1973-09-21', 11.99),
  (3, 1, 'Golden Letter', 'electronic', 'Vertex Audio', '2000-11-06', 11.99),
  (4, 4, 'Quiet Horizon', 'jazz', 'Orchard Music', '2020-05-10', 14.99);
INSERT INTO tracks
VALUES
  (1, 4, 'The Secret Lantern', 2, 329, 1641774801, FALSE, '2019-10-27 20:56:29'),
  (2, 1, 'The Golden Harbor', 2, 371, 3860936019, FALSE, '2022-10-03 11:53:44'),
  (3, 4, 'The Crimson Empire', 5, 306, 3860936019, FALSE, '2016-09-24 07:36:36'),
  (4, 3, 'Golden Kingdom', 12, 371, 416239188, FALSE, '2020-06-13 14:22:09'),
  (5, 3, 'Bright Lantern', 9, 329, 3332460551, FALSE, '2023-08-20 10:27:52');
