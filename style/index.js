import './base.css';
import './grids.css';
